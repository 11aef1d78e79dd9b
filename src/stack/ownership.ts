import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';

function systemIds(user: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Folders the database server writes must belong to its system user when we run as root. */
export function ownedFolder(dir: string, user: string): void {
  mkdirSync(dir, { recursive: true });
  const ids = systemIds(user);
  if (ids) chownSync(dir, ids.uid, ids.gid);
}

export function ownedFile(file: string, user: string): void {
  if (!existsSync(file)) writeFileSync(file, '');
  const ids = systemIds(user);
  if (ids) chownSync(file, ids.uid, ids.gid);
}

