// Exactly once across a mapper that stalls past its session timeout (issue #9, part 5): two mapper
// processes share a raw topic; one is frozen (SIGSTOP) while it holds partitions mid-stream, the
// group hands its partitions to the other, which maps them again from the committed offsets; then
// the frozen one resumes (SIGCONT) with the batch it had in hand. A client that sends the group
// generation with its transactional offset commit (KIP-447) gets that late commit refused and
// aborts it; one that does not commits the batch a second time.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { AssignerProtocol, type Producer } from 'kafkajs';
import { fromKafkaMessage } from '../../src/canonical/cloudevents-kafka.js';
import { kafkajsClient } from '../support/kafka.js';
import { createLogger } from '../../src/observability/logger.js';
import { isolatedMapperConfig, uniqueSuffix } from '../support/config.js';
import { committedOffsets, readCommitted } from '../support/kafka.js';
import {
  createTopic,
  endOffsets,
  killHard,
  spawnRole,
  type MaterializerProcess,
} from '../support/materializer-harness.js';
import { ensureStack, STACK_TIMEOUT_MS, type TestStack } from '../support/stack.js';

const RAW_PARTITIONS = 6;
/** The pipelines' consumer session timeout (kafkajs-pipeline.ts, rdkafka-pipeline.ts). */
const SESSION_TIMEOUT_MS = 30000;
/** Raw events per feed tick, one tick every FEED_EVERY_MS: about 600 events/s. */
const FEED_CHUNK = 30;
const FEED_EVERY_MS = 50;
/** Raw events written at once just before a member freezes. */
const BURST = 20000;

/** A Debezium change event of a new till line, as the store-pg connector writes it. */
function saleLine(id: number, run: string): { key: string; value: string } {
  const lsn = 1_000_000 + id * 100;
  const now = Date.now();
  return {
    key: JSON.stringify({ sale_line_id: id }),
    value: JSON.stringify({
      op: 'c',
      before: null,
      after: {
        sale_line_id: id,
        sale_id: id,
        line_no: 1,
        location_id: `S00${(id % 3) + 1}`,
        sku: `X${run}-${id % 50}`,
        quantity: '1.000',
        unit: 'EA',
        unit_price: '1.00',
        sold_at: new Date(now).toISOString(),
      },
      source: {
        connector: 'postgresql',
        name: 'store-pg',
        db: 'store',
        schema: 'public',
        table: 'sale_lines',
        snapshot: 'false',
        lsn,
        sequence: JSON.stringify([String(lsn - 50), String(lsn)]),
        ts_ms: now,
      },
      ts_ms: now,
    }),
  };
}

interface Member {
  memberId: string;
  partitions: number;
}

async function describeGroup(
  brokers: string[],
  groupId: string,
): Promise<{ state: string; members: Member[] }> {
  const admin = kafkajsClient({ brokers, clientId: 'stockline-test' }).admin();
  try {
    await admin.connect();
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0]!;
    return {
      state: group.state,
      members: group.members.map((m) => {
        const decoded =
          m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
        const partitions = Object.values(decoded?.assignment ?? {}).reduce((n, ps) => n + ps.length, 0);
        return { memberId: m.memberId, partitions };
      }),
    };
  } catch {
    // No coordinator for the group yet, or a transport error: asked again.
    return { state: 'Unknown', members: [] };
  } finally {
    await admin.disconnect();
  }
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

describe('mapper: exactly once when a member stalls past its session timeout (integration)', function () {
  this.timeout(STACK_TIMEOUT_MS);
  let env: TestStack;
  let folder: string;
  const processes: MaterializerProcess[] = [];
  const log = createLogger({ level: 'warn' });

  before(async () => {
    env = await ensureStack();
    folder = mkdtempSync(path.join(tmpdir(), 'stockline-eos-'));
  });
  after(async () => {
    for (const p of processes) {
      if (p.child.signalCode === null && p.child.exitCode === null) p.child.kill('SIGCONT');
      await killHard(p);
    }
    rmSync(folder, { recursive: true, force: true });
  });

  it('the canonical topic holds every event exactly once (read_committed) after a frozen member resumes', async function () {
    const client = env.config.kafka.client;
    log.warn({ client }, 'exactly-once test with this kafka.client');
    const run = uniqueSuffix();
    const config = isolatedMapperConfig(env.config, run);
    const { brokers } = config.kafka;
    const rawTopic = `test.raw.sale_lines.${run}`;

    // One mapping of the test's own: the shipped sale-lines mapping, reading the test's raw topic.
    const mappings = path.join(folder, 'mappings');
    mkdirSync(mappings);
    const shipped = readFileSync(
      path.join(env.config.mapper.mappingsDir, 'store-pg-sale-lines.yaml'),
      'utf8',
    );
    writeFileSync(
      path.join(mappings, 'store-pg-sale-lines.yaml'),
      shipped.replace(/^ {2}topic: store-pg\.public\.sale_lines$/m, `  topic: ${rawTopic}`),
    );
    await createTopic(brokers, rawTopic, RAW_PARTITIONS);
    await createTopic(brokers, config.mapper.canonicalTopic, config.mapper.canonicalPartitions);
    await createTopic(brokers, config.mapper.deadLetterTopic, 1);

    // Feed raw events throughout, from before the mappers start until after the frozen one resumed.
    const producer: Producer = kafkajsClient({ brokers, clientId: 'stockline-test' }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    let fed = 0;
    let feeding = true;
    /** Extra events the feeder writes at once, on top of the steady flow. */
    let burst = 0;
    let burstSent = Promise.resolve();
    let burstDone = () => {};
    const feeder = (async () => {
      while (feeding) {
        const size = burst > 0 ? Math.min(burst, 1000) : FEED_CHUNK;
        const messages = Array.from({ length: size }, () => saleLine(++fed, run));
        await producer.send({ topic: rawTopic, acks: -1, messages });
        if (burst > 0) {
          burst -= size;
          if (burst === 0) burstDone();
          continue;
        }
        await sleep(FEED_EVERY_MS);
      }
    })();
    const sendBurst = (n: number) => {
      burstSent = new Promise((resolve) => (burstDone = resolve));
      burst = n;
      return burstSent;
    };

    try {
      const roleEnv = {
        STOCKLINE__KAFKA__CLIENT: client,
        STOCKLINE__MAPPER__MAPPINGSDIR: mappings,
        STOCKLINE__MAPPER__GROUPID: config.mapper.groupId,
        STOCKLINE__MAPPER__CANONICALTOPIC: config.mapper.canonicalTopic,
        STOCKLINE__MAPPER__DEADLETTERTOPIC: config.mapper.deadLetterTopic,
      };
      const frozen = spawnRole('mapper', roleEnv);
      const other = spawnRole('mapper', roleEnv);
      processes.push(frozen, other);
      const alive = () => {
        for (const p of processes)
          if (p.child.exitCode !== null)
            throw new Error(`a mapper exited (${p.child.exitCode}):\n${p.log.slice(-20).join('\n')}`);
      };

      // Both members hold partitions and the stream flows through them.
      await waitFor('two mappers sharing the raw partitions', 90000, async () => {
        alive();
        const g = await describeGroup(brokers, config.mapper.groupId);
        return g.state === 'Stable' && g.members.length === 2 && g.members.every((m) => m.partitions > 0)
          ? g
          : undefined;
      });
      await sleep(3000);

      // Freeze one member mid-stream, past the session timeout: the group hands its partitions over.
      // A backlog first, so that the member is inside a batch (mapping, producing, committing)
      // rather than waiting for records when it freezes.
      const before = await committedOffsets(brokers, config.mapper.groupId, rawTopic);
      await sendBurst(BURST);
      await sleep(300);
      frozen.child.kill('SIGSTOP');
      const frozenAt = Date.now();
      await waitFor('the other mapper holding every raw partition', SESSION_TIMEOUT_MS + 60000, async () => {
        const g = await describeGroup(brokers, config.mapper.groupId);
        return g.state === 'Stable' && g.members.length === 1 && g.members[0]!.partitions === RAW_PARTITIONS
          ? g
          : undefined;
      });
      // ... and has mapped past where every partition stood when the member froze.
      await waitFor('progress on every raw partition', 60000, async () => {
        const now = await committedOffsets(brokers, config.mapper.groupId, rawTopic);
        return [...before].every(([p, o]) => (now.get(p) ?? -1n) > o) ? now : undefined;
      });
      log.warn({ frozenForMs: Date.now() - frozenAt }, 'resuming the frozen mapper');
      frozen.child.kill('SIGCONT');

      await sleep(10000);
      feeding = false;
      await feeder;

      // Everything fed is mapped and committed.
      const ends = await endOffsets(brokers, rawTopic);
      await waitFor('the mappers to commit every raw event', 120000, async () => {
        if (other.child.exitCode !== null) alive();
        const committed = await committedOffsets(brokers, config.mapper.groupId, rawTopic);
        return [...ends].every(([p, end]) => committed.get(p) === end) ? committed : undefined;
      });
      const frozenExit = frozen.child.exitCode;
      for (const p of processes) p.child.kill('SIGTERM');
      await Promise.all(processes.map((p) => p.exited));
      // What the resumed member did with the batch it had in hand (a refused commit, an abort).
      const refused = frozen.log.filter((l) => /abort|generation|member|fenc/i.test(l));
      log.warn(
        { lines: refused.length, first: refused.slice(0, 3) },
        'the resumed mapper on its stale batch',
      );
      if (frozenExit !== null)
        log.warn({ exitCode: frozenExit, log: frozen.log.slice(-5) }, 'the resumed mapper had exited');

      const records = await readCommitted(brokers, config.mapper.canonicalTopic, {
        atLeast: fed,
        settleMs: 3000,
        timeoutMs: 120000,
      });
      const times = new Map<string, number>();
      for (const r of records) {
        const id = fromKafkaMessage(r).id;
        times.set(id, (times.get(id) ?? 0) + 1);
      }
      const twice = [...times].filter(([, n]) => n > 1);
      log.warn(
        { client, fed, canonical: records.length, distinct: times.size, duplicated: twice.length },
        'exactly-once test result',
      );
      expect(twice.length, `${twice.length} canonical event ids appear more than once`).to.equal(0);
      expect(times.size, 'distinct canonical events').to.equal(fed);
      expect(records.length).to.equal(fed);
    } finally {
      feeding = false;
      await feeder.catch(() => undefined);
      await producer.disconnect();
    }
  });
});
