import { existsSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { Health, PartContext, StackPart } from '../part.js';
import { assertReachableBy, ownedFile, ownedFolder } from '../ownership.js';
import { livePid, readPid, run, spawnDetached, stopPid } from '../processes.js';
import { seedMariadb } from '../seed/seed-mariadb.js';

const SYSTEM_USER = 'mysql';

/**
 * The store MariaDB instance: own data folder and port, row-based binlog with full row
 * images and a server id, as Debezium's MariaDB connector requires. `--no-defaults` keeps
 * the machine's /etc/mysql settings (and its own datadir and socket) out of it.
 */
export class StoreMariadb implements StackPart {
  readonly name = 'mariadb';
  readonly managed = true;
  readonly port: number;
  readonly logFile: string;
  private readonly dataDir: string;
  private readonly socket: string;
  private readonly pidFile: string;

  constructor(private readonly ctx: PartContext) {
    this.port = ctx.config.stack.mariadb.port;
    this.logFile = path.join(ctx.layout.logs, 'mariadb.log');
    this.dataDir = path.join(ctx.layout.data, 'mariadb');
    this.socket = path.join(ctx.layout.run, 'mariadb', 'mariadb.sock');
    this.pidFile = path.join(ctx.layout.run, 'mariadb.pid');
  }

  pid(): number | undefined {
    return livePid(this.pidFile);
  }

  async start(): Promise<void> {
    assertReachableBy(this.dataDir, SYSTEM_USER);
    ownedFolder(path.dirname(this.socket), SYSTEM_USER);
    ownedFile(this.logFile, SYSTEM_USER);
    if (!existsSync(path.join(this.dataDir, 'mysql'))) {
      ownedFolder(this.dataDir, SYSTEM_USER);
      await run('mariadb-install-db', [
        '--no-defaults',
        `--user=${SYSTEM_USER}`,
        `--datadir=${this.dataDir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ]);
    }
    const args = [
      '--no-defaults',
      ...(process.getuid?.() === 0 ? [`--user=${SYSTEM_USER}`] : []),
      `--datadir=${this.dataDir}`,
      `--port=${this.port}`,
      '--bind-address=127.0.0.1',
      `--socket=${this.socket}`,
      `--pid-file=${path.join(this.dataDir, 'mariadbd.pid')}`,
      `--log-error=${this.logFile}`,
      '--log-bin=binlog',
      '--binlog-format=ROW',
      '--binlog-row-image=FULL',
      `--server-id=${this.ctx.config.stack.mariadb.serverId}`,
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=256M',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--default-time-zone=+00:00',
    ];
    spawnDetached({ command: 'mariadbd', args, logFile: this.logFile, pidFile: this.pidFile });
    return Promise.resolve();
  }

  /** Root over the unix socket: the password is set by prepare(), so a fresh install has none yet. */
  async adminConnection(): Promise<mysql.Connection> {
    const base = {
      socketPath: this.socket,
      user: 'root',
      connectTimeout: 3000,
      multipleStatements: true,
      timezone: 'Z',
    };
    try {
      return await mysql.createConnection({
        ...base,
        password: this.ctx.secrets.STORE_MARIADB_ADMIN_PASSWORD,
      });
    } catch (e) {
      if ((e as { code?: string }).code !== 'ER_ACCESS_DENIED_ERROR') throw e;
      return mysql.createConnection(base);
    }
  }

  async health(): Promise<Health> {
    let connection: mysql.Connection | undefined;
    try {
      connection = await this.adminConnection();
      const [rows] = await connection.query<mysql.RowDataPacket[]>(
        'SELECT @@log_bin AS log_bin, @@binlog_format AS format',
      );
      const row = rows[0];
      if (Number(row?.log_bin) !== 1 || row?.format !== 'ROW') {
        return {
          healthy: false,
          detail: `accepts connections but binlog is ${String(row?.log_bin)}/${String(row?.format)}`,
        };
      }
      return { healthy: true, detail: 'accepts connections, binlog on, binlog_format=ROW' };
    } catch (e) {
      return { healthy: false, detail: `does not accept connections: ${(e as Error).message}` };
    } finally {
      await connection?.end().catch(() => undefined);
    }
  }

  async prepare(): Promise<void> {
    const connection = await this.adminConnection();
    try {
      await seedMariadb(connection, this.ctx.secrets, this.ctx.log);
    } finally {
      await connection.end();
    }
  }

  async stop(): Promise<void> {
    const pid = readPid(this.pidFile);
    if (pid !== undefined) await stopPid(pid, 60000);
  }
}
