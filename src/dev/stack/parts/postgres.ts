import { appendFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Health, PartContext, StackPart } from '../part.js';
import { assertReachableBy, ownedFile, ownedFolder } from '../ownership.js';
import { asUser, isAlive, readPid, run, waitUntilGone } from '../processes.js';
import { seedPostgres } from '../seed/seed-postgres.js';

const SYSTEM_USER = 'postgres';

function postgresBinDir(configured: string): string {
  if (configured) return configured;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) return ''; // fall back to PATH
  return path.join(root, versions[0]!, 'bin');
}

/**
 * The store PostgreSQL instance: own data folder and port, logical decoding on, run as the
 * postgres system user. It holds the store database and the SAP stand-in database.
 */
export class StorePostgres implements StackPart {
  readonly name = 'postgres';
  readonly managed = true;
  readonly port: number;
  readonly logFile: string;
  private readonly dataDir: string;
  private readonly socketDir: string;
  private readonly bin: string;

  constructor(private readonly ctx: PartContext) {
    this.port = ctx.config.stack.postgres.port;
    this.logFile = path.join(ctx.layout.logs, 'postgres.log');
    this.dataDir = path.join(ctx.layout.data, 'postgres');
    this.socketDir = path.join(ctx.layout.run, 'postgres');
    this.bin = postgresBinDir(ctx.config.stack.postgres.binDir);
  }

  private tool(name: string): string {
    return this.bin ? path.join(this.bin, name) : name;
  }

  pid(): number | undefined {
    const pid = readPid(path.join(this.dataDir, 'postmaster.pid'));
    return pid !== undefined && isAlive(pid) ? pid : undefined;
  }

  private async initialise(): Promise<void> {
    ownedFolder(this.dataDir, SYSTEM_USER);
    const pwfile = path.join(this.socketDir, 'initdb.pw');
    writeFileSync(pwfile, `${this.ctx.secrets.STORE_PG_ADMIN_PASSWORD}\n`, { mode: 0o600 });
    ownedFile(pwfile, SYSTEM_USER);
    try {
      const [cmd, args] = asUser(SYSTEM_USER, this.tool('initdb'), [
        '-D',
        this.dataDir,
        '-U',
        'postgres',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E',
        'UTF8',
        '--no-locale',
      ]);
      await run(cmd, args);
    } finally {
      rmSync(pwfile, { force: true });
    }
    appendFileSync(path.join(this.dataDir, 'postgresql.conf'), "\ninclude_if_exists = 'stockline.conf'\n");
  }

  async start(): Promise<void> {
    assertReachableBy(this.dataDir, SYSTEM_USER);
    ownedFolder(this.socketDir, SYSTEM_USER);
    if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) await this.initialise();
    const conf = path.join(this.dataDir, 'stockline.conf');
    // Written on every start so that a changed port in config/ takes effect.
    writeFileSync(
      conf,
      [
        `port = ${this.port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${this.socketDir}'`,
        'wal_level = logical',
        'max_replication_slots = 16',
        'max_wal_senders = 16',
        'max_connections = 200',
        'shared_buffers = 256MB',
        "log_line_prefix = '%m [%p] %q%u@%d '",
        '',
      ].join('\n'),
    );
    ownedFile(conf, SYSTEM_USER);
    ownedFile(this.logFile, SYSTEM_USER);
    const [cmd, args] = asUser(SYSTEM_USER, this.tool('pg_ctl'), [
      'start',
      '-D',
      this.dataDir,
      '-l',
      this.logFile,
      '-w',
      '-t',
      '120',
    ]);
    await run(cmd, args);
  }

  adminClient(database = 'postgres'): pg.Client {
    return new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      user: 'postgres',
      password: this.ctx.secrets.STORE_PG_ADMIN_PASSWORD,
      database,
      connectionTimeoutMillis: 3000,
    });
  }

  async health(): Promise<Health> {
    const client = this.adminClient();
    try {
      await client.connect();
      const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
      const level = rows[0]?.wal_level;
      if (level !== 'logical')
        return { healthy: false, detail: `accepts connections but wal_level is ${level}, not logical` };
      return { healthy: true, detail: 'accepts connections, wal_level=logical' };
    } catch (e) {
      return { healthy: false, detail: `does not accept connections: ${(e as Error).message}` };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async prepare(): Promise<void> {
    await seedPostgres((db) => this.adminClient(db), this.ctx.secrets, this.ctx.log);
  }

  /**
   * Stops the server: `fast` (the default) rolls back sessions and shuts down cleanly;
   * `immediate` is a crash as far as clients and the data are concerned (no checkpoint,
   * crash recovery at the next start), which the fault tests use.
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    const [cmd, args] = asUser(SYSTEM_USER, this.tool('pg_ctl'), [
      'stop',
      '-D',
      this.dataDir,
      '-m',
      mode,
      '-w',
      '-t',
      '60',
    ]);
    await run(cmd, args);
    // pg_ctl returns when the pid file is gone; the postmaster exits a moment later.
    await waitUntilGone(pid, 10000);
  }
}
