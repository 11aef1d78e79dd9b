import { expect } from 'chai';
import { liveView } from './screen.js';
import type { DemoSnapshot } from './view.js';

function fakeStream(tty: boolean) {
  const writes: string[] = [];
  const stream = { isTTY: tty, columns: 100, write: (s: string) => writes.push(s) > 0 };
  // Only isTTY, columns and write are used.
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

const snapshot = (elapsedMs: number): DemoSnapshot => ({
  runId: 'K3F9A',
  seed: 7,
  targetRate: 300,
  elapsedMs,
  behindMs: 0,
  sources: [{ source: 'store-pg', written: 10, writtenPerSecond: 5 }],
  popular: [],
});

describe('demo: the live view', () => {
  it('on a terminal, redraws its block in place and gives the cursor back at the end', () => {
    const { stream, writes } = fakeStream(true);
    const view = liveView(stream);
    view.show(snapshot(1000));
    view.show(snapshot(2000));
    view.close(snapshot(3000));
    expect(writes[0]!.startsWith('\x1b[?25l\x1b[0Jstockline demo')).to.be.true;
    const lines = writes[0]!.split('\n').length - 1;
    expect(writes[1]!.startsWith(`\x1b[${lines}A\r\x1b[0J`)).to.be.true;
    expect(writes[1]).to.contain('Ctrl-C: stop the simulator');
    // The last screen stays, without the hint: Ctrl-C has been pressed or the time is up.
    expect(writes[2]).to.contain('0:03').and.not.contain('Ctrl-C: stop');
    expect(writes[writes.length - 1]).to.equal('\x1b[?25h');
  });

  it('elsewhere, prints a plain line every few seconds and a last one at the end', () => {
    const { stream, writes } = fakeStream(false);
    let now = 0;
    const view = liveView(stream, { plainEveryMs: 5000, now: () => now });
    for (now = 1000; now <= 11_000; now += 1000) view.show(snapshot(now));
    view.close(snapshot(11_500));
    expect(writes).to.have.length(3);
    expect(writes.every((w) => w.startsWith('demo ') && w.endsWith('\n') && !w.includes('\x1b'))).to.be.true;
  });
});
