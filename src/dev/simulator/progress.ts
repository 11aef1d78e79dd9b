import type { RunProgress } from './runner.js';
import { SOURCE_NAMES } from './writes.js';

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** One line of progress: time, totals, achieved and target rate, per source, lag. */
export function progressLine(p: RunProgress): string {
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? p.written / seconds : 0;
  const sources = SOURCE_NAMES.map((s) => `${s} ${number.format(p.bySource[s])}`).join(', ');
  const behind = p.behindMs >= 1000 ? `, behind ${(p.behindMs / 1000).toFixed(1)} s` : '';
  return `${seconds.toFixed(1)} s: ${number.format(p.written)} events, ${number.format(rate)}/s (target ${number.format(p.targetRate)}/s); ${sources}; ${number.format(p.inTransit)} in transit${behind}`;
}

export interface StatusLine {
  /** Shows the line, unless one was shown too recently; `text` is only built when shown. */
  update(text: () => string): void;
  done(): void;
}

/**
 * On a terminal, one line rewritten in place four times a second; otherwise (a log, CI) a new
 * line every five seconds, so that captured output stays readable.
 */
export function statusLine(stream: NodeJS.WriteStream = process.stdout): StatusLine {
  const tty = stream.isTTY === true;
  const intervalMs = tty ? 250 : 5000;
  let last = Date.now();
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < intervalMs) return;
      last = now;
      if (tty) {
        // Clear the line, then write it: a shorter line leaves nothing of a longer one behind.
        stream.write(`\r\x1b[2K${text()}`);
        shown = true;
      } else {
        stream.write(`${text()}\n`);
      }
    },
    done() {
      if (shown) stream.write('\n');
      shown = false;
    },
  };
}
