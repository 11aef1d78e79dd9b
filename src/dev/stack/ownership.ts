import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

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

/**
 * PostgreSQL and MariaDB run as their system users, which must be able to reach their data
 * folder through every parent folder. A checkout under a private home folder (mode 0700)
 * cannot work; say so instead of letting initdb fail with "permission denied".
 */
export function assertReachableBy(dir: string, user: string): void {
  if (process.getuid?.() !== 0) return;
  let blocked: string | undefined;
  for (let current = path.dirname(path.resolve(dir)); ; current = path.dirname(current)) {
    try {
      execFileSync('runuser', ['-u', user, '--', 'test', '-x', current], { stdio: 'ignore' });
    } catch {
      blocked = current;
    }
    if (current === path.dirname(current)) break;
  }
  if (blocked) {
    throw new Error(
      `the ${user} system user cannot enter ${blocked}, so it cannot reach ${dir}; ` +
        `put stack.home in a folder others can traverse (for example STOCKLINE__STACK__HOME=/var/tmp/stockline-stack) or run chmod o+x ${blocked}`,
    );
  }
}
