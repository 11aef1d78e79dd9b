import net from 'node:net';
import { expect } from 'chai';
import { expectNoStackTrace, runCli } from '../support/cli.js';
import { STACK_TIMEOUT_MS } from '../support/stack.js';

/** A port nobody listens on now: the demo's stock API must not collide with a `stockline run` elsewhere. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('stockline demo: stack, pipeline, simulator with a live view, verify (integration)', function () {
  // The demo brings the stack up itself: on a fresh machine that includes fetching the jars.
  this.timeout(STACK_TIMEOUT_MS);

  it('runs non-interactively for a set time, prints live lines, verifies the stock table and exits 0', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runCli(
      ['demo', '--duration', '20s', '--rate', '200', '--seed', '42'],
      { STOCKLINE__API__PORT: String(port) },
      STACK_TIMEOUT_MS - 10_000,
    );
    const context = `stdout:\n${stdout}\nstderr (last 2000 characters):\n${stderr.slice(-2000)}`;
    expect(code, context).to.equal(0);
    expect(stdout).to.match(/^stack: .*healthy$/m);
    expect(stdout).to.match(/^connectors: .*; all running$/m);
    expect(stdout).to.contain(`stock API at http://127.0.0.1:${port}`);
    // The mainframe's records go through the queue and the MQ replicator (config/test.yaml).
    expect(stdout).to.match(
      /^pipeline: mapper, materializer, MQ replicator \(amqp: WH\.STOCK\.MOVES -> mq\.WH\.STOCK\.MOVES\), stock API/m,
    );
    const run = /^simulate run (\w{5}): seed 42, .* 200 events\/s for 20 s/m.exec(stdout);
    expect(run, context).to.not.equal(null);

    // Not a terminal: plain lines every 5 s instead of a redrawn screen, and no escape codes.
    expect(stdout).to.not.contain('\x1b[');
    const live = stdout.match(
      /^demo \d+:\d\d: written [\d,]+ \(\d+\/s: store-pg \d+\/s, store-maria \d+\/s, SAP \d+\/s, mainframe \d+\/s\); MQ queue depth [\d,]+, replicator \d+\/s; mapper \d+\/s in, mapper lag [\d,]+, materializer lag [\d,]+; .+$/gm,
    );
    expect(live, context).to.have.length.of.at.least(3);
    // The run's most popular item shows up with its stock across locations.
    expect(live!.at(-1)).to.match(new RegExp(`; S${run![1]}-00001 -?[\\d.,]+ \\w+ in \\d+ locations$`));

    expect(stdout).to.match(
      /^simulated: \d+ events in [\d.]+ s \(\d+\/s\), complete; expected stock: \d+ rows -> /m,
    );
    expect(stdout).to.match(/^verify: (\d+) expected rows: \1 match, 0 differ, 0 missing, 0 unexpected/m);
    expect(stdout).to.contain('OK: the stock table matches the simulation');
    expect(stdout).to.match(/^pipeline stopped; the stack keeps running/m);
    expectNoStackTrace(stderr);
  });

  it('refuses a bad duration with one message, before starting anything', async () => {
    const { code, stdout, stderr } = await runCli(['demo', '--duration', 'soon']);
    expect(code).to.equal(1);
    expect(stderr).to.match(/^stockline: --duration "soon" is not a duration/);
    expect(stdout).to.equal('');
    expectNoStackTrace(stderr);
  });
});
