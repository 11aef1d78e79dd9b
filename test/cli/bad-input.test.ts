import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { expectNoStackTrace, runCli } from '../support/cli.js';

function connectorDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'stockline-connectors-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('stockline CLI refuses bad input with one clear message', function () {
  this.timeout(60000);

  it('lists every command with one line each in --help', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).to.equal(0);
    for (const command of ['stack', 'connectors', 'tail', 'config'])
      expect(stdout).to.match(new RegExp(`^  ${command}\\b.*\\S`, 'm'));
  });

  it('a connector file that is not valid YAML: file, line and column', async () => {
    const dir = connectorDir({ 'broken.yaml': 'name: broken\nconfig:\n  connector.class: [unclosed\n' });
    const { code, stderr } = await runCli(['connectors', 'validate', '--offline', '--dir', dir]);
    expect(code).to.equal(1);
    expect(stderr).to.match(/^stockline: .*broken\.yaml:\d+:\d+: not valid YAML/);
    expectNoStackTrace(stderr);
  });

  it('a connector file that is not valid JSON: file, line and column', async () => {
    const dir = connectorDir({
      'broken.json': '{\n  "name": "broken",\n  "config": { "connector.class": "x" \n',
    });
    const { code, stderr } = await runCli(['connectors', 'validate', '--offline', '--dir', dir]);
    expect(code).to.equal(1);
    expect(stderr).to.match(/broken\.json:\d+:\d+: not valid JSON/);
    expectNoStackTrace(stderr);
  });

  it('an unknown placeholder names the variable, the key and where it is', async () => {
    const dir = connectorDir({
      'pg.yaml':
        'name: pg\nconfig:\n  connector.class: io.debezium.connector.postgresql.PostgresConnector\n  database.hostname: ${NO_SUCH_HOST_VARIABLE}\n',
    });
    const { code, stderr } = await runCli(['connectors', 'validate', '--offline', '--dir', dir]);
    expect(code).to.equal(1);
    expect(stderr).to.match(
      /pg\.yaml:4:3: database\.hostname uses \$\{NO_SUCH_HOST_VARIABLE\}, which is not set/,
    );
    expectNoStackTrace(stderr);
  });

  it('a connector file of the wrong shape lists every problem', async () => {
    const dir = connectorDir({ 'x.yaml': 'nam: x\nconfig:\n  tasks.max: 1\n' });
    const { code, stderr } = await runCli(['connectors', 'validate', '--offline', '--dir', dir]);
    expect(code).to.equal(1);
    expect(stderr).to.contain('unknown key "nam"');
    expect(stderr).to.contain('"name" is required');
    expect(stderr).to.contain('"connector.class" is required');
  });

  it('the shipped connector files pass the local checks', async () => {
    const { code, stdout } = await runCli(['connectors', 'validate', '--offline']);
    expect(code, stdout).to.equal(0);
    expect(stdout).to.contain('2 connector file(s) valid');
  });

  it('on a machine where the stack never ran, the shipped connector files pass the local checks and name the secrets `stack up` generates', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'stockline-fresh-home-'));
    const { code, stdout, stderr } = await runCli(['connectors', 'validate', '--offline'], {
      STOCKLINE__STACK__HOME: home,
      STORE_PG_DEBEZIUM_PASSWORD: '',
      STORE_MARIADB_DEBEZIUM_PASSWORD: '',
    });
    expect(code, stderr).to.equal(0);
    expect(stdout).to.contain('2 connector file(s) valid');
    expect(stdout).to.match(
      /not set yet: STORE_PG_DEBEZIUM_PASSWORD, STORE_MARIADB_DEBEZIUM_PASSWORD; `stockline stack up` generates them/,
    );
  });

  it('a config key of the wrong type names the key, where it was set and what is expected', async () => {
    const { code, stderr } = await runCli(['config', 'check'], { STOCKLINE__STACK__KAFKA__PORT: 'ninety' });
    expect(code).to.equal(1);
    expect(stderr).to.match(
      /stack\.kafka\.port must be integer \(set at environment variable STOCKLINE__STACK__KAFKA__PORT\); got "ninety"/,
    );
    expectNoStackTrace(stderr);
  });

  it('config check --print redacts secrets, and a config error never echoes a secret', async () => {
    const printed = await runCli(['config', 'check', '--print'], {
      STOCKLINE__STOCKDB__PASSWORD: 'pg-secret-4711',
      STOCKLINE__API__TOKEN: 'api-token-0815',
    });
    expect(printed.code, printed.stderr).to.equal(0);
    expect(printed.stdout).not.to.contain('pg-secret-4711');
    expect(printed.stdout).not.to.contain('api-token-0815');
    const config = JSON.parse(printed.stdout) as { stockDb: { password: string; user: string } };
    expect(config.stockDb.password).to.equal('[redacted]');
    expect(config.stockDb.user).to.equal('stockline_app');

    const dir = mkdtempSync(path.join(tmpdir(), 'stockline-config-'));
    cpSync('config/default.yaml', path.join(dir, 'default.yaml'));
    writeFileSync(path.join(dir, 'test.yaml'), 'stockDb:\n  password: [pg-secret-4711]\n');
    const refused = await runCli(['config', 'check'], { STOCKLINE_CONFIG_DIR: dir, STOCKLINE_ENV: 'test' });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /stockDb\.password must be string \(set at .*test\.yaml:2:3\); got a secret, not shown/,
    );
    expect(refused.stderr).not.to.contain('pg-secret-4711');
    expectNoStackTrace(refused.stderr);
  });

  it('a port taken by another process names the port, the part and the process, before fetching anything', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const home = mkdtempSync(path.join(tmpdir(), 'stockline-stack-'));
      const { code, stderr } = await runCli(['stack', 'up', 'kafka'], {
        STOCKLINE__STACK__HOME: home,
        STOCKLINE__STACK__KAFKA__PORT: String(port),
      });
      expect(code).to.equal(1);
      expect(stderr).to.match(
        new RegExp(`port ${port} for kafka is already in use by node \\(pid ${process.pid}\\)`),
      );
      expectNoStackTrace(stderr);
    } finally {
      server.close();
    }
  });
});
