import { execFile } from 'node:child_process';
import path from 'node:path';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = path.resolve('bin/stockline.js');

/** Runs the real `stockline` command as a user would, in a child process. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { ...process.env, STOCKLINE_LOG_LEVEL: 'warn', ...env },
        timeout: timeoutMs,
        maxBuffer: 32 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A user-facing failure is one `stockline: ...` message, never a JavaScript stack trace. */
export function expectNoStackTrace(text: string): void {
  if (/^\s+at .+\(.+:\d+:\d+\)$/m.test(text)) throw new Error(`output contains a stack trace:\n${text}`);
}
