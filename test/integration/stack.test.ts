import { chmodSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import type { PartStatus } from '../../src/dev/stack/stack.js';
import { isAlive } from '../../src/dev/stack/processes.js';
import { connectStorePostgres } from '../support/databases.js';
import { runCli } from '../support/cli.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function itemCount(env: TestStack): Promise<number> {
  const client = await connectStorePostgres(env);
  try {
    const { rows } = await client.query<{ n: string }>(
      "SELECT count(*) AS n FROM items WHERE sku NOT LIKE 'T%'",
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

describe('stockline stack (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;

  before(async () => {
    env = await ensureStack();
  });

  it('status shows each part healthy with its port and pid', async () => {
    const { code, stdout } = await runCli(['stack', 'status', '--json']);
    expect(code).to.equal(0);
    const statuses = JSON.parse(stdout) as PartStatus[];
    expect(statuses.map((s) => s.part)).to.deep.equal(['redis', 'postgres', 'mariadb', 'kafka', 'connect']);
    for (const s of statuses) {
      expect(s.health.healthy, `${s.part}: ${s.health.detail}`).to.equal(true);
      if (s.managed) expect(s.pid).to.be.a('number');
    }
    expect(statuses.find((s) => s.part === 'kafka')!.port).to.equal(env.config.stack.kafka.port);
  });

  it('up twice is harmless: same processes, no second seed', async () => {
    const before = (await env.stack.status()).map((s) => s.pid);
    const items = await itemCount(env);
    const { code, stderr } = await runCli(['stack', 'up']);
    expect(code, stderr).to.equal(0);
    expect((await env.stack.status()).map((s) => s.pid)).to.deep.equal(before);
    expect(await itemCount(env)).to.equal(items);
  });

  it('down stops only what that stack started; the machine PostgreSQL keeps running', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'stockline-stack-'));
    chmodSync(home, 0o755); // mkdtemp makes it private; the postgres user must enter it
    const port = await freePort();
    const vars = { STOCKLINE__STACK__HOME: home, STOCKLINE__STACK__POSTGRES__PORT: String(port) };

    const up = await runCli(['stack', 'up', 'postgres', '--json'], vars);
    expect(up.code, up.stderr).to.equal(0);
    const [started] = JSON.parse(up.stdout) as PartStatus[];
    expect(started).to.include({ part: 'postgres', port });
    expect(started!.health.healthy).to.equal(true);
    const pid = started!.pid!;
    expect(isAlive(pid)).to.equal(true);

    const down = await runCli(['stack', 'down'], vars);
    expect(down.code, down.stderr).to.equal(0);
    expect(down.stdout).to.contain('stopped: postgres');
    expect(isAlive(pid)).to.equal(false);

    // The machine's own PostgreSQL and this suite's stack are untouched.
    const machine = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await machine.connect();
    await machine.end();
    const status = await env.stack.status();
    expect(status.every((s) => s.health.healthy)).to.equal(true);
  });
});
