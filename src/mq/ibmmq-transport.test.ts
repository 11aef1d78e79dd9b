import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { expect } from 'chai';
import ts from 'typescript';
import type { StocklineConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { QueueBusyError, QueueTransportError } from './errors.js';
import { FAKE_MQC, FakeQueueManager } from '../../test/support/ibmmq-fake.js';
import { shippedConfig } from '../../test/support/options.js';
import {
  CLIENT_HEARTBEAT_SECONDS,
  WAIT_SLICE_MS,
  IBMMQ_INSTALL_HINT,
  createIbmmqTransport,
} from './ibmmq-transport.js';
import { putDateTime } from './ibmmq-descriptor.js';
import type { QueueTransport } from './port.js';

const QM = 'QM1';
const QUEUE = 'WH.MOVES';

/** The shipped mq section (so keys added later need no change here) set up for a client channel. */
function mqConfig(overrides: Partial<StocklineConfig['mq']> = {}): StocklineConfig['mq'] {
  return {
    ...shippedConfig().mq,
    transport: 'ibmmq',
    queueManager: QM,
    connectionName: 'mq1.example(1414),mq2.example(1414)',
    channel: 'STOCKLINE.SVRCONN',
    tls: { cipherSpec: '', keyRepository: '', keyRepositoryPassword: '', certificateLabel: '' },
    user: '',
    password: '',
    ...overrides,
  };
}

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Whether the optional ibmmq package is installed (npm ci with MQIJS_NOREDIST=true, as CI runs it). */
function ibmmqInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('ibmmq/package.json');
    return true;
  } catch {
    return false;
  }
}

describe('ibmmq transport (src/mq/ibmmq-transport.ts)', () => {
  describe('loading', () => {
    it('importing the module loads nothing of the ibmmq package', async function () {
      if (!ibmmqInstalled()) this.skip();
      // A fresh process: this one may have loaded parts of ibmmq in other tests. The check is
      // proven able to see ibmmq by loading one of its files afterwards.
      const script = `
        import { createRequire } from 'node:module';
        const require = createRequire(process.cwd() + '/');
        const loaded = () => Object.keys(require.cache).filter((p) => p.includes('/node_modules/ibmmq/'));
        await import('./src/mq/ibmmq-transport.ts');
        const afterImport = loaded();
        require('ibmmq/lib/mqidefs.js');
        console.log(JSON.stringify({ afterImport, afterControl: loaded().length }));
      `;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: process.cwd() },
      );
      const seen = JSON.parse(stdout.trim()) as { afterImport: string[]; afterControl: number };
      expect(seen.afterImport).to.deep.equal([]);
      expect(seen.afterControl).to.be.greaterThan(0);
    });

    it('never imports ibmmq statically, not even its types (the package is optional)', () => {
      const file = 'src/mq/ibmmq-transport.ts';
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
      const ibmmqImports = source.statements.filter(
        (s): s is ts.ImportDeclaration =>
          ts.isImportDeclaration(s) && (s.moduleSpecifier as ts.StringLiteral).text === 'ibmmq',
      );
      expect(ibmmqImports).to.have.length(0);
    });

    it('a loader that throws gives QueueTransportError saying what to install', async () => {
      const error = await rejection(
        createIbmmqTransport(mqConfig(), () => {
          throw new Error('/opt/mqm/lib/libmqm_r.so: cannot open shared object file');
        }),
      );
      expect(error).to.be.instanceOf(QueueTransportError);
      const e = error as QueueTransportError;
      expect(e.code).to.equal('STOCKLINE_MQ_FAILED');
      expect(e.retriable).to.equal(false);
      expect(e.message).to.equal(
        `${IBMMQ_INSTALL_HINT} (loading it failed: /opt/mqm/lib/libmqm_r.so: cannot open shared object file)`,
      );
      expect(e.message).to.contain('MQIJS_NOREDIST=true npm install ibmmq');
      expect(e.message).to.contain("IBM MQ's redistributable client");
      expect(e.message).to.contain('/opt/mqm');
    });

    it('on a machine without IBM MQ C library, the real package fails to load with the same message', async function () {
      if (!ibmmqInstalled()) this.skip();
      const require = createRequire(import.meta.url);
      const libraries = [
        '/opt/mqm/lib64/libmqm_r.so',
        '/opt/mqm/lib/libmqm_r.so',
        require.resolve('ibmmq/package.json').replace('package.json', 'redist/lib64/libmqm_r.so'),
      ];
      if (libraries.some((l) => existsSync(l)) || (process.env['LD_LIBRARY_PATH'] ?? '') !== '') this.skip();
      const error = await rejection(createIbmmqTransport(mqConfig()));
      expect(error).to.be.instanceOf(QueueTransportError);
      expect((error as Error).message).to.contain(IBMMQ_INSTALL_HINT);
      expect((error as Error).message).to.contain('libmqm_r.so');
    });

    it('the fake uses IBM MQ values for every constant (the package lib/mqidefs.js)', function () {
      const require = createRequire(import.meta.url);
      let real: Record<string, unknown>;
      try {
        real = require('ibmmq/lib/mqidefs.js') as Record<string, unknown>;
      } catch {
        this.skip();
      }
      for (const [name, value] of Object.entries(FAKE_MQC)) expect(real[name], name).to.equal(value);
    });
  });

  describe('configuration', () => {
    const fake = new FakeQueueManager(QM);

    it('refuses a client connection without a connection name or channel, naming the keys', async () => {
      const error = await rejection(
        createIbmmqTransport(mqConfig({ connectionName: '', channel: '' }), () => Promise.resolve(fake.mqi)),
      );
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.contain('mq.connectionName, mq.channel');
    });

    it('refuses TLS material without a CipherSpec', async () => {
      const tls = {
        cipherSpec: '',
        keyRepository: '/var/mqm/key',
        keyRepositoryPassword: '',
        certificateLabel: '',
      };
      const error = await rejection(createIbmmqTransport(mqConfig({ tls }), () => Promise.resolve(fake.mqi)));
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.contain('mq.tls.keyRepository set without mq.tls.cipherSpec');
    });
  });

  describe('on the fake MQI', () => {
    let fake: FakeQueueManager;
    let transport: QueueTransport;

    async function start(config: StocklineConfig['mq'] = mqConfig()): Promise<QueueTransport> {
      transport = await createIbmmqTransport(config, () => Promise.resolve(fake.mqi));
      return transport;
    }

    beforeEach(() => {
      fake = new FakeQueueManager(QM);
      fake.defineQueue(QUEUE, { backoutThreshold: 5 });
    });

    afterEach(async () => {
      await transport?.close();
    });

    it('connects as a client over the configured channel, without TLS when no CipherSpec is set', async () => {
      await (await start(mqConfig({ user: 'repl', password: 's3cret' }))).open({ queue: QUEUE });
      const [connx] = fake.callsOf('CONNX');
      expect(connx!.queueManager).to.equal(QM);
      expect(connx!.cno.Options).to.equal(2048); // MQCNO_CLIENT_BINDING
      expect(connx!.cno.ClientConn.ChannelName).to.equal('STOCKLINE.SVRCONN');
      expect(connx!.cno.ClientConn.ConnectionName).to.equal('mq1.example(1414),mq2.example(1414)');
      expect(connx!.cno.ClientConn.HeartbeatInterval).to.equal(CLIENT_HEARTBEAT_SECONDS);
      expect(connx!.cno.ClientConn.SSLCipherSpec).to.equal('');
      expect(connx!.cno.SSLConfig.KeyRepository).to.equal('');
      expect(connx!.cno.SecurityParms.UserId).to.equal('repl');
      expect(connx!.cno.SecurityParms.Password).to.equal('s3cret');
    });

    it('sets the CipherSpec, key repository, its password and the certificate label for TLS', async () => {
      const tls = {
        cipherSpec: 'ANY_TLS12_OR_HIGHER',
        keyRepository: '/var/mqm/ssl/client',
        keyRepositoryPassword: 'kdbpass',
        certificateLabel: 'stockline',
      };
      await (await start(mqConfig({ tls }))).open({ queue: QUEUE });
      const { cno } = fake.callsOf('CONNX')[0]!;
      expect(cno.ClientConn.SSLCipherSpec).to.equal('ANY_TLS12_OR_HIGHER');
      expect(cno.ClientConn.CertificateLabel).to.equal('stockline');
      expect(cno.SSLConfig.KeyRepository).to.equal('/var/mqm/ssl/client');
      expect(cno.SSLConfig.KeyRepoPassword).to.equal('kdbpass');
      expect(cno.SecurityParms.UserId).to.equal('');
    });

    it('opens for exclusive input, inquire and fail-if-quiescing; a second opener gets QueueBusyError', async () => {
      await start();
      const session = await transport.open({ queue: QUEUE });
      expect(fake.callsOf('OPEN')[0]!.options).to.equal(4 | 32 | 8192);
      const error = await rejection(transport.open({ queue: QUEUE }));
      expect(error).to.be.instanceOf(QueueBusyError);
      const busy = error as QueueBusyError;
      expect(busy.code).to.equal('STOCKLINE_MQ_QUEUE_BUSY');
      expect(busy.message).to.contain('MQOPEN').and.contain('MQRC_OBJECT_IN_USE (2042)');
      expect(busy.context).to.include({
        transport: 'ibmmq',
        queueManager: QM,
        queue: QUEUE,
        reasonCode: 2042,
      });
      // The refused session's connection was ended; the holder's stays.
      expect(fake.connectionCount).to.equal(1);
      await session.close();
      await transport.open({ queue: QUEUE });
    });

    it('gets under syncpoint: waiting for the first message only, never converting, a new descriptor each time', async () => {
      for (const n of [1, 2, 3]) fake.put(QUEUE, { body: Buffer.from(`m${n}`) });
      const session = await (await start()).open({ queue: QUEUE });
      const messages = await session.get(10, 750);
      expect(messages.map((m) => m.body.toString())).to.deep.equal(['m1', 'm2', 'm3']);
      const gets = fake.callsOf('GET');
      expect(gets).to.have.length(4); // three messages, then MQRC_NO_MSG_AVAILABLE
      expect(gets[0]!.options).to.equal(2 | 1 | 8192); // SYNCPOINT | WAIT | FAIL_IF_QUIESCING
      expect(gets[0]!.waitInterval).to.equal(WAIT_SLICE_MS);
      for (const get of gets.slice(1)) {
        expect(get.options).to.equal(2 | 8192); // SYNCPOINT | NO_WAIT | FAIL_IF_QUIESCING
        expect(get.waitInterval).to.equal(0);
      }
      for (const get of gets) {
        expect(get.options & FAKE_MQC.MQGMO_CONVERT).to.equal(0);
        expect(get.matchOptions).to.equal(0); // MQMO_NONE
      }
      expect(new Set(gets.map((g) => g.md)).size).to.equal(gets.length);
    });

    it('returns no messages from an empty queue, and never passes a negative wait (MQWI_UNLIMITED)', async () => {
      const session = await (await start()).open({ queue: QUEUE });
      expect(await session.get(5, 30)).to.deep.equal([]);
      expect(await session.get(5, -1)).to.deep.equal([]);
      expect(fake.callsOf('GET').map((g) => g.waitInterval)).to.deep.equal([30, 0]);
    });

    it('waits for the first message in MQGETs of at most WAIT_SLICE_MS, the event loop free between them', async () => {
      const session = await (await start()).open({ queue: QUEUE });
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      const started = Date.now();
      try {
        expect(await session.get(5, 350)).to.deep.equal([]);
      } finally {
        clearInterval(ticker);
      }
      expect(Date.now() - started).to.be.within(330, 1500);
      const waits = fake.callsOf('GET').map((g) => g.waitInterval);
      expect(waits.every((w) => w > 0 && w <= WAIT_SLICE_MS)).to.equal(true);
      expect(waits.reduce((a, b) => a + b, 0)).to.be.within(330, 360);
      for (const get of fake.callsOf('GET')) expect(get.options).to.equal(2 | 1 | 8192);
      expect(ticks, 'timers ran during the wait').to.be.at.least(2);
    });

    it('returns a message put while it waited, before the wait is over', async () => {
      const session = await (await start()).open({ queue: QUEUE });
      const started = Date.now();
      const waiting = session.get(5, 5000);
      await new Promise((resolve) => setTimeout(resolve, 150));
      fake.put(QUEUE, { body: Buffer.from('late') });
      const got = await waiting;
      expect(got.map((m) => m.body.toString())).to.deep.equal(['late']);
      expect(Date.now() - started).to.be.below(1000);
    });

    it('stops at max messages', async () => {
      for (const n of [1, 2, 3]) fake.put(QUEUE, { body: Buffer.from(`m${n}`) });
      const session = await (await start()).open({ queue: QUEUE });
      expect(await session.get(2, 0)).to.have.length(2);
      expect(fake.callsOf('GET')).to.have.length(2);
    });

    it('maps the message descriptor: ids, group, put time (GMT), CCSID, encoding, format and context trimmed', async () => {
      const msgId = Buffer.from('414d5120514d31202020202020202020a1b2c3d4e5f60718', 'hex');
      const correlId = Buffer.alloc(24, 7);
      const groupId = Buffer.alloc(24, 9);
      fake.put(QUEUE, {
        body: Buffer.from([0xc1, 0xc2, 0x00, 0xff]),
        backoutCount: 2,
        md: {
          MsgId: msgId,
          CorrelId: correlId,
          GroupId: groupId,
          MsgFlags: FAKE_MQC.MQMF_MSG_IN_GROUP,
          MsgSeqNumber: 3,
          PutDate: '20261127',
          PutTime: '17453012',
          CodedCharSetId: 500,
          Encoding: 785,
          Format: 'MQSTR',
          Persistence: FAKE_MQC.MQPER_PERSISTENT,
          Priority: 4,
          PutApplName: 'CICSPROD',
          UserIdentifier: 'WHUSER',
        },
      });
      fake.put(QUEUE, { body: Buffer.from('plain') });
      const session = await (await start()).open({ queue: QUEUE });
      const [grouped, plain] = await session.get(2, 0);
      expect(grouped).to.deep.include({
        backoutCount: 2,
        ccsid: 500,
        encoding: 785,
        format: 'MQSTR',
        persistent: true,
        priority: 4,
        putApplicationName: 'CICSPROD',
        userId: 'WHUSER',
        sequenceInGroup: 3,
      });
      expect(grouped!.messageId.equals(msgId)).to.equal(true);
      expect(grouped!.correlationId.equals(correlId)).to.equal(true);
      expect(grouped!.groupId!.equals(groupId)).to.equal(true);
      expect(grouped!.putTime.toISOString()).to.equal('2026-11-27T17:45:30.120Z');
      expect([...grouped!.body]).to.deep.equal([0xc1, 0xc2, 0x00, 0xff]);
      // Not in a group, no CorrelId, the queue's defaults (DEFPSIST(NO), the QM's CCSID, no format).
      expect(plain!.groupId).to.equal(null);
      expect(plain!.sequenceInGroup).to.equal(null);
      expect(plain!.correlationId).to.have.length(0);
      expect(plain!.format).to.equal('');
      expect(plain!.persistent).to.equal(false);
      expect(plain!.ccsid).to.equal(fake.ccsid);
      expect(plain!.body.toString()).to.equal('plain');
    });

    it('takes the time of the get when PutDate and PutTime do not parse (context set with blanks)', async () => {
      fake.put(QUEUE, { body: Buffer.from('m'), md: { PutDate: '        ', PutTime: '        ' } });
      const session = await (await start()).open({ queue: QUEUE });
      const before = Date.now();
      const [message] = await session.get(1, 0);
      expect(message!.putTime.getTime()).to.be.within(before, Date.now());
    });

    it('copies every buffer: a later get into the same buffer does not change an earlier message', async () => {
      fake.put(QUEUE, { body: Buffer.from('first message') });
      fake.put(QUEUE, { body: Buffer.from('2nd') });
      const session = await (await start()).open({ queue: QUEUE });
      const [first] = await session.get(1, 0);
      const before = Buffer.from(first!.messageId);
      const [second] = await session.get(1, 0);
      expect(first!.body.toString()).to.equal('first message');
      expect(second!.body.toString()).to.equal('2nd');
      expect(first!.messageId.equals(before)).to.equal(true);
      expect(first!.messageId.equals(second!.messageId)).to.equal(false);
    });

    it('grows its buffer when a message is larger (MQRC_TRUNCATED_MSG_FAILED) and gets it whole', async () => {
      const big = Buffer.alloc(200_000, 0x5a);
      big.write('head', 0);
      fake.put(QUEUE, { body: big });
      fake.put(QUEUE, { body: Buffer.from('small') });
      const session = await (await start()).open({ queue: QUEUE });
      const messages = await session.get(5, 100);
      expect(messages.map((m) => m.body.length)).to.deep.equal([200_000, 5]);
      expect(messages[0]!.body.equals(big)).to.equal(true);
      const lengths = fake.callsOf('GET').map((g) => g.bufferLength);
      expect(lengths.slice(0, 2)).to.deep.equal([64 * 1024, 200_000]);
      // The retry still waits as a first get does; the message was there all along.
      expect(fake.callsOf('GET')[1]!.options).to.equal(2 | 1 | 8192);
    });

    it('commit makes the gets final; depth counts them until then', async () => {
      for (const n of [1, 2, 3]) fake.put(QUEUE, { body: Buffer.from(`m${n}`) });
      const session = await (await start()).open({ queue: QUEUE });
      await session.get(2, 0);
      expect(await session.depth()).to.equal(3);
      await session.commit();
      expect(await session.depth()).to.equal(1);
      expect(fake.callsOf('INQ')[0]!.selectors).to.deep.equal([FAKE_MQC.MQIA_CURRENT_Q_DEPTH]);
    });

    it('backout gives the messages back in order with their backout count grown', async () => {
      for (const n of [1, 2, 3]) fake.put(QUEUE, { body: Buffer.from(`m${n}`) });
      const session = await (await start()).open({ queue: QUEUE });
      await session.get(2, 0);
      await session.backout();
      const again = await session.get(3, 0);
      expect(again.map((m) => [m.body.toString(), m.backoutCount])).to.deep.equal([
        ['m1', 1],
        ['m2', 1],
        ['m3', 0],
      ]);
    });

    it('reads the backout threshold with MQINQ BOTHRESH; 0 is none', async () => {
      fake.defineQueue('NO.THRESHOLD');
      await start();
      const session = await transport.open({ queue: QUEUE });
      expect(await session.backoutThreshold()).to.equal(5);
      expect(fake.callsOf('INQ')[0]!.selectors).to.deep.equal([FAKE_MQC.MQIA_BACKOUT_THRESHOLD]);
      expect(await (await transport.open({ queue: 'NO.THRESHOLD' })).backoutThreshold()).to.equal(null);
    });

    for (const [reason, mqrc, outcomeUnknown] of [
      ['MQRC_CONNECTION_BROKEN', 2009, true],
      ['MQRC_OUTCOME_MIXED', 2123, true],
      ['MQRC_OUTCOME_PENDING', 2124, true],
      ['MQRC_BACKED_OUT', 2003, false],
    ] as const) {
      it(`a commit that fails with ${reason} is retriable${outcomeUnknown ? ', its outcome unknown' : ', backed out'}`, async () => {
        fake.put(QUEUE, { body: Buffer.from('m') });
        const session = await (await start()).open({ queue: QUEUE });
        await session.get(1, 0);
        fake.failNext('CMIT', mqrc);
        const error = await rejection(session.commit());
        expect(error).to.be.instanceOf(QueueTransportError);
        const e = error as QueueTransportError;
        expect(e.retriable).to.equal(true);
        expect(e.outcomeUnknown).to.equal(outcomeUnknown);
        expect(e.message).to.contain(
          `IBM MQ MQCMIT on queue manager ${QM}, queue ${QUEUE} failed: ${reason} (${mqrc})`,
        );
        expect(e.context).to.include({ call: 'MQCMIT', reasonCode: mqrc, reason });
      });
    }

    it('maps MQ errors of other verbs with their verb and reason, retriable or not', async () => {
      fake.failNext('CONNX', FAKE_MQC.MQRC_NOT_AUTHORIZED);
      const denied = (await rejection((await start()).open({ queue: QUEUE }))) as QueueTransportError;
      expect(denied).to.be.instanceOf(QueueTransportError);
      expect(denied.message).to.contain('MQCONNX').and.contain('MQRC_NOT_AUTHORIZED (2035)');
      expect(denied.retriable).to.equal(false);

      const unknown = (await rejection(transport.open({ queue: 'NO.SUCH.QUEUE' }))) as QueueTransportError;
      expect(unknown.message).to.contain('MQOPEN').and.contain('MQRC_UNKNOWN_OBJECT_NAME (2085)');
      expect(unknown.retriable).to.equal(false);
      expect(fake.connectionCount).to.equal(0);

      const session = await transport.open({ queue: QUEUE });
      fake.failNext('GET', FAKE_MQC.MQRC_Q_MGR_QUIESCING);
      const quiescing = (await rejection(session.get(1, 0))) as QueueTransportError;
      expect(quiescing.message).to.contain('MQGET').and.contain('MQRC_Q_MGR_QUIESCING (2161)');
      expect(quiescing.retriable).to.equal(true);
      expect(quiescing.outcomeUnknown).to.equal(false);
    });

    it('close backs out the open unit of work before it disconnects (MQDISC alone would commit)', async () => {
      fake.put(QUEUE, { body: Buffer.from('m') });
      const session = await (await start()).open({ queue: QUEUE });
      await session.get(1, 0);
      await session.close();
      expect(fake.calls.slice(-3).map((c) => c.verb)).to.deep.equal(['BACK', 'CLOSE', 'DISC']);
      expect(fake.depth(QUEUE)).to.equal(1);
      const again = await (await transport.open({ queue: QUEUE })).get(1, 0);
      expect(again[0]!.backoutCount).to.equal(1);
      await session.close(); // a second close does nothing
      expect(await rejection(session.get(1, 0))).to.be.instanceOf(QueueTransportError);
    });

    it('closes quietly after the connection broke; the queue manager backed the unit of work out', async () => {
      fake.put(QUEUE, { body: Buffer.from('m') });
      const session = await (await start()).open({ queue: QUEUE });
      await session.get(1, 0);
      fake.breakConnections();
      const broken = (await rejection(session.commit())) as QueueTransportError;
      expect(broken.outcomeUnknown).to.equal(true);
      await session.close();
      expect(fake.depth(QUEUE)).to.equal(1);
    });

    it('transport close closes every session and writer it opened', async () => {
      await start();
      await transport.open({ queue: QUEUE });
      await transport.writer({ queue: QUEUE });
      expect(fake.connectionCount).to.equal(2);
      await transport.close();
      expect(fake.connectionCount).to.equal(0);
      expect(await rejection(transport.open({ queue: QUEUE }))).to.be.instanceOf(QueueTransportError);
    });

    it('writer puts each message outside syncpoint with a new MsgId, or the given one', async () => {
      const writer = await (await start()).writer({ queue: QUEUE });
      expect(fake.callsOf('OPEN')[0]!.options).to.equal(16 | 2048 | 8192); // OUTPUT | SET_ALL_CONTEXT | FAIL_IF_QUIESCING
      await writer.put([
        { body: Buffer.from('a') },
        {
          body: Buffer.from('b'),
          messageId: Buffer.from('ID-B'),
          correlationId: Buffer.from('C'),
          persistent: true,
        },
        {
          body: Buffer.from('c'),
          putApplicationName: 'WHMOVE01',
          userId: 'CICSUSR',
          priority: 3,
          ccsid: 37,
          format: 'MQSTR',
        },
      ]);
      expect(fake.callsOf('PUT').map((p) => p.options)).to.deep.equal([
        4 | 8192 | 64, // NO_SYNCPOINT | FAIL_IF_QUIESCING | NEW_MSG_ID
        4 | 8192,
        4 | 8192 | 64 | 2048, // and SET_ALL_CONTEXT
      ]);
      expect(fake.depth(QUEUE)).to.equal(3);
      const [a, b, c] = await (await transport.open({ queue: QUEUE })).get(3, 0);
      expect(a!.messageId.subarray(0, 4).toString()).to.equal('AMQ ');
      expect(a!.putApplicationName).to.equal('stockline'); // MQCNO ApplName
      expect(b!.messageId.equals(Buffer.concat([Buffer.from('ID-B'), Buffer.alloc(20)]))).to.equal(true);
      expect(b!.correlationId.subarray(0, 1).toString()).to.equal('C');
      expect(b!.persistent).to.equal(true);
      expect(c).to.deep.include({
        putApplicationName: 'WHMOVE01',
        userId: 'CICSUSR',
        priority: 3,
        ccsid: 37,
        format: 'MQSTR',
      });
      expect(Math.abs(c!.putTime.getTime() - Date.now())).to.be.lessThan(60_000);
    });

    it('refuses a message id longer than MQ 24 bytes', async () => {
      const writer = await (await start()).writer({ queue: QUEUE });
      const error = await rejection(writer.put([{ body: Buffer.from('x'), messageId: Buffer.alloc(25) }]));
      expect(error).to.be.instanceOf(QueueTransportError);
      expect((error as Error).message).to.contain('at most 24 bytes');
    });

    it('reports all four capabilities', async () => {
      expect((await start()).capabilities).to.deep.equal({
        atomicCommit: true,
        exactBackoutCount: true,
        exclusiveInput: true,
        redeliveryKeepsOrder: true,
      });
      expect(transport.name).to.equal('ibmmq');
    });
  });

  describe('putDateTime (MQMD PutDate and PutTime, GMT)', () => {
    it('reads YYYYMMDD and HHMMSSTH to the hundredth of a second', () => {
      expect(putDateTime('20260101', '00000001')!.toISOString()).to.equal('2026-01-01T00:00:00.010Z');
      expect(putDateTime('20241231', '23595999')!.toISOString()).to.equal('2024-12-31T23:59:59.990Z');
    });

    it('gives null for blanks, wrong lengths and dates the calendar lacks', () => {
      expect(putDateTime(null, null)).to.equal(null);
      expect(putDateTime('        ', '        ')).to.equal(null);
      expect(putDateTime('2026113', '17453012')).to.equal(null);
      expect(putDateTime('20260231', '17453012')).to.equal(null);
      expect(putDateTime('20261127', '24000000')).to.equal(null);
    });
  });
});
