// Shows the demo's snapshots: on a terminal, one block redrawn in place with plain ANSI escapes
// (cursor up, clear to the end of the screen); otherwise a plain line every few seconds, like
// the simulator's progress, so that a log or CI output stays readable.
import { plainLine, renderScreen, type DemoSnapshot } from './view.js';

export interface LiveView {
  readonly tty: boolean;
  show(snapshot: DemoSnapshot): void;
  /** Leaves the last screen (or prints a last line) and gives the cursor back. */
  close(last?: DemoSnapshot): void;
}

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const up = (lines: number) => (lines > 0 ? `\x1b[${lines}A\r` : '\r');
const CLEAR_BELOW = '\x1b[0J';
const HINT = 'Ctrl-C: stop the simulator, verify the stock table, stop the pipeline';

export function liveView(
  stream: NodeJS.WriteStream = process.stdout,
  options: { plainEveryMs?: number; now?: () => number } = {},
): LiveView {
  const tty = stream.isTTY === true;
  const now = options.now ?? Date.now;
  const plainEveryMs = options.plainEveryMs ?? 5000;
  let drawn = 0;
  let lastPlain = now();
  let closed = false;
  const restore = () => stream.write(SHOW_CURSOR);

  const draw = (snapshot: DemoSnapshot, hint: boolean) => {
    // One column less than the terminal: a full-width line would wrap on some terminals.
    const width = Math.max(40, (stream.columns || 120) - 1);
    const lines = [...renderScreen(snapshot, width), ...(hint ? ['', HINT.slice(0, width)] : [])];
    stream.write(`${drawn === 0 ? HIDE_CURSOR : up(drawn)}${CLEAR_BELOW}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  if (tty) process.once('exit', restore);

  return {
    tty,
    show(snapshot) {
      if (closed) return;
      if (tty) return draw(snapshot, true);
      if (now() - lastPlain < plainEveryMs) return;
      lastPlain = now();
      stream.write(`${plainLine(snapshot)}\n`);
    },
    close(last) {
      if (closed) return;
      closed = true;
      if (tty) {
        if (last) draw(last, false);
        restore();
        process.removeListener('exit', restore);
      } else if (last) stream.write(`${plainLine(last)}\n`);
    },
  };
}
