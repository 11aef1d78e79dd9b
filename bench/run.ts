// npm run bench [-- --events 1000000 --stages ceiling,mapper,materializer,e2e,replicator,capture[,peer]
//                   --clients kafkajs,node-rdkafka --rates 2000,5000,10000,16667 --step-seconds 40
//                   --mq-messages 100000 --mq-batch 200 --sap-rows 200000 --sap-batch 1000
//                   --base ../wt-base --rounds 1 --raw-topic name]
//
// --stage is --stages (e.g. `npm run bench -- --stage mapper --events 200000`). --base <checkout>
// runs the mapper role also from another checkout (the previous commit's code, with its
// node_modules), side by side with this one's over the same preloaded events, `--rounds` times
// each, alternating. --raw-topic reuses a preloaded raw topic (preloaded and kept when it does
// not exist yet), so that runs of the mapper stage can be repeated without preloading again.
//
// Measures, in one go on this machine, against the local stack (started if it is not up):
//   1. ceiling: a bare consume loop over the preloaded raw topic, per Kafka client;
//   2. mapper: the mapper role over the same preloaded Debezium events, per client: events/s,
//      CPU per event of the role's process (and of the benchmark's own), and the ratio to that
//      client's ceiling;
//   3. end to end: simulator -> Debezium -> mapper -> materializer at rising rates;
//   4. materializer: the materializer role over canonical events (scripts/bench-materializer.ts);
//   5. replicator: the MQ replicator role from a preloaded RabbitMQ queue onto a raw topic, and
//      the ratio to a bare amqplib consume of the same queue (`--stages replicator` runs it alone);
//   6. capture: the SAP capture role from a preloaded stand-in MATDOC onto a raw topic, the
//      sweep on (`--stages capture` runs it alone);
//   7. peer: a Kafka Streams application (bench/kafka-streams-peer, exactly_once_v2, RocksDB) over
//      the materializer stage's preloaded canonical events, and the ratio materializer/peer
//      (`--stages materializer,peer`; the jar is built with Maven once, into a gitignored folder);
//   8. peak RSS of each role, each in a process of its own.
// Writes bench/results/<time>/results.{json,md,svg} and copies them to bench/results/latest/.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { stackSecretEnv, withStackSecrets } from '../src/dev/stack/dev-secrets.js';
import { kafkajsClient } from '../src/kafka/kafkajs-admin.js';
import { createAdmin } from '../src/kafka/clients.js';
import { consumeCeiling } from './consume-ceiling.js';
import { endToEnd } from './e2e-stage.js';
import { mapperThroughput, type KafkaClientName } from './mapper-stage.js';
import { materializerThroughput } from './materializer-stage.js';
import { replicatorThroughput } from './replicator-stage.js';
import { captureThroughput } from './capture-stage.js';
import { peerThroughput } from './peer-stage.js';
import { captureTemplate, preload } from './preload.js';
import { TARGETS, writeReport, type BenchResults } from './report.js';

const STAGES = ['ceiling', 'mapper', 'materializer', 'e2e', 'replicator', 'capture', 'peer'] as const;
const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    // Not the peer by default: it needs Maven and a JVM (`--stages materializer,peer`).
    stages: { type: 'string', default: STAGES.filter((s) => s !== 'peer').join(',') },
    stage: { type: 'string' },
    base: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    'raw-topic': { type: 'string' },
    clients: { type: 'string', default: 'kafkajs,node-rdkafka' },
    rates: { type: 'string', default: '2000,5000,10000,16667' },
    'step-seconds': { type: 'string', default: '40' },
    items: { type: 'string', default: '2000' },
    'e2e-client': { type: 'string' },
    'mq-messages': { type: 'string', default: '100000' },
    'mq-batch': { type: 'string', default: '200' },
    'sap-rows': { type: 'string', default: '200000' },
    'sap-batch': { type: 'string', default: '1000' },
    out: { type: 'string' },
  },
});
const events = Number(args.events);
const stages = new Set((args.stage ?? args.stages).split(','));
const rounds = Number(args.rounds);
const base = args.base ? path.resolve(args.base) : undefined;
if (base && !existsSync(path.join(base, 'src', 'roles', 'registry.ts')))
  throw new Error(`--base ${base}: not a stockline checkout (no src/roles/registry.ts)`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds: a whole number, 1 or more');
const clients = args.clients.split(',') as KafkaClientName[];
for (const s of stages)
  if (!(STAGES as readonly string[]).includes(s))
    throw new Error(`unknown stage ${s}; stages: ${STAGES.join(', ')}`);
for (const c of clients)
  if (c !== 'kafkajs' && c !== 'node-rdkafka')
    throw new Error(`unknown client ${String(c)}: kafkajs or node-rdkafka`);
if (stages.has('peer') && !stages.has('materializer'))
  throw new Error("--stages peer runs over the materializer stage's events: add materializer");

const say = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const cli = (...argv: string[]) => {
  const r = spawnSync(process.execPath, ['bin/stockline.js', ...argv], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`stockline ${argv.join(' ')} failed (${r.status})`);
};

const startedAt = new Date();
const stamp = startedAt.toISOString().slice(0, 19).replace(/[:T]/g, '-');
const outDir = args.out ?? path.join('bench', 'results', stamp);
const results: BenchResults = {
  startedAt: startedAt.toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.versions.node,
  },
  events,
  targets: TARGETS,
  ceiling: [],
  mapper: [],
  materializer: null,
  endToEnd: null,
  replicator: null,
  capture: null,
  peer: null,
  memory: [],
  failures: [],
};

async function stage(name: string, body: () => Promise<void>): Promise<void> {
  const t = performance.now();
  say(`${name} ...`);
  try {
    await body();
    say(`${name}: done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    results.failures.push({ stage: name, message });
    say(`${name}: FAILED: ${message}`);
  }
}

say('stack up, connectors applied');
cli('stack', 'up');
cli('connectors', 'apply', '--wait');
// The dev path: the stack's stock database password, for this process and the role processes it starts.
const loaded = loadConfig();
Object.assign(process.env, stackSecretEnv(loaded));
const config = withStackSecrets(loaded);
const kafka = kafkajsClient({ brokers: config.kafka.brokers, clientId: 'stockline-bench' });
const admin = kafka.admin();
await admin.connect();
const lagAdmin = createAdmin(config.kafka, 'stockline-bench');
const run = `bench-${stamp}`;
const rawTopic = args['raw-topic'] ?? `${run}.raw.sale_lines`;
/** How many records a topic holds (end minus start offsets, summed). */
const recordsOn = async (topic: string): Promise<number> => {
  if (!(await admin.listTopics()).includes(topic)) return 0;
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
};

try {
  if (stages.has('ceiling') || stages.has('mapper')) {
    const held = args['raw-topic'] ? await recordsOn(rawTopic) : 0;
    if (held > 0 && held < events)
      throw new Error(`--raw-topic ${rawTopic} holds ${held} records, fewer than --events ${events}`);
    if (held > 0) say(`reusing ${rawTopic} (${held.toLocaleString('en-US')} records)`);
    else
      await stage(`preload ${events.toLocaleString('en-US')} Debezium events onto ${rawTopic}`, async () => {
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic: rawTopic, numPartitions: 6 }] });
        const template = await captureTemplate(config.kafka.brokers);
        let shown = 0;
        await preload(kafka, rawTopic, template, events, (written) => {
          if (written - shown >= 250_000) say(`  ${(shown = written).toLocaleString('en-US')} written`);
        });
      });
    if (stages.has('ceiling'))
      for (const client of clients)
        await stage(`ceiling: bare consume loop, ${client}`, async () => {
          const c = await consumeCeiling(client, {
            brokers: config.kafka.brokers,
            topic: rawTopic,
            count: events,
          });
          const cpuMicrosPerMessage = (c.cpuSeconds * 1e6) / c.messages;
          results.ceiling.push({
            client,
            ...c,
            messagesPerSecond: c.messages / c.seconds,
            cpuMicrosPerMessage,
          });
          say(
            `  ${Math.round(c.messages / c.seconds).toLocaleString('en-US')} messages/s, ${cpuMicrosPerMessage.toFixed(1)} µs CPU per message`,
          );
        });
    if (stages.has('mapper')) {
      const codes = base ? [{ root: base, label: `base (${path.basename(base)})` }, undefined] : [undefined];
      for (const client of clients)
        for (let round = 1; round <= rounds; round++)
          for (const code of codes) {
            const label = `mapper: ${client}${code ? `, ${code.label}` : base ? ', current' : ''}${rounds > 1 ? `, round ${round}` : ''}`;
            await stage(label, async () => {
              const m = await mapperThroughput({
                admin,
                run,
                rawTopic,
                events,
                client,
                code,
                suffix: `-${code ? 'base' : 'current'}-${round}`,
              });
              const ceiling = results.ceiling.find((c) => c.client === client);
              results.mapper.push({
                ...m,
                ratioOfCeiling: ceiling ? m.eventsPerSecond / ceiling.messagesPerSecond : null,
                cpuRatioOfCeiling:
                  ceiling && m.cpuMicrosPerEvent !== undefined
                    ? m.cpuMicrosPerEvent / ceiling.cpuMicrosPerMessage
                    : null,
              });
              results.memory.push({
                stage: 'mapper throughput',
                role: `mapper (${client}${code ? `, ${code.label}` : ''})`,
                peakRssMb: m.peakRssMb,
              });
              say(
                `  ${Math.round(m.eventsPerSecond).toLocaleString('en-US')} events/s, ${m.cpuMicrosPerEvent?.toFixed(1)} µs CPU per event (benchmark's own: ${m.parentCpuMicrosPerEvent?.toFixed(2)} µs), peak RSS ${Math.round(m.peakRssMb)} MB`,
              );
            });
          }
    }
    if (!args['raw-topic']) await admin.deleteTopics({ topics: [rawTopic] }).catch(() => undefined);
  }

  // End to end before the materializer stage: that stage writes a few GB of WAL into the stack's
  // PostgreSQL, which also holds the store and SAP databases, and Debezium's logical decoding
  // reads through all of it before it reaches the next store change (a minute and more).
  if (stages.has('e2e'))
    await stage('end to end', async () => {
      // node-rdkafka by default: its pipeline commits one transaction per fetch across all
      // partitions, where kafkajs hands over, and commits, one partition at a time; with the ~30
      // raw partitions of the stack that decides the latency.
      const client =
        (args['e2e-client'] as KafkaClientName | undefined) ??
        (clients.includes('node-rdkafka') ? 'node-rdkafka' : 'kafkajs');
      const e = await endToEnd({
        config,
        admin: lagAdmin,
        client,
        rates: args.rates.split(',').map(Number),
        stepSeconds: Number(args['step-seconds']),
        items: Number(args.items),
        log: say,
      });
      results.endToEnd = e;
      for (const [role, peakRssMb] of Object.entries(e.peakRssMb))
        results.memory.push({ stage: 'end to end', role, peakRssMb });
    });
  if (stages.has('materializer'))
    await stage('materializer', async () => {
      const m = await materializerThroughput(events, { keepTopic: stages.has('peer') });
      results.materializer = m;
      results.memory.push({ stage: 'materializer throughput', role: 'materializer', peakRssMb: m.peakRssMb });
      say(
        `  ${Math.round(m.eventsPerSecond).toLocaleString('en-US')} events/s, peak RSS ${Math.round(m.peakRssMb)} MB`,
      );
    });
  if (stages.has('peer'))
    await stage('peer: Kafka Streams', async () => {
      const topic = results.materializer?.topic;
      if (!topic)
        throw new Error('the materializer stage left no topic (it failed, or ran without --keep-topic)');
      const p = await peerThroughput({ admin, brokers: config.kafka.brokers, run, topic, log: say });
      const m = results.materializer!;
      results.peer = { ...p, ratioMaterializerToPeer: m.eventsPerSecond / p.eventsPerSecond };
      results.memory.push({
        stage: 'peer throughput',
        role: 'Kafka Streams peer (JVM)',
        peakRssMb: p.peakRssMb,
      });
      say(
        `  ${Math.round(p.eventsPerSecond).toLocaleString('en-US')} events/s, ${p.cpuMicrosPerEvent.toFixed(1)} µs JVM CPU per event, peak RSS ${Math.round(p.peakRssMb)} MB; materializer/peer ${results.peer.ratioMaterializerToPeer.toFixed(2)}`,
      );
    });
  if (stages.has('replicator'))
    await stage('MQ replicator', async () => {
      const r = await replicatorThroughput({
        config,
        admin: lagAdmin,
        run,
        messages: Number(args['mq-messages']),
        batchSize: Number(args['mq-batch']),
        log: say,
      });
      results.replicator = r;
      results.memory.push({
        stage: 'MQ replicator throughput',
        role: 'mq-replicator',
        peakRssMb: r.peakRssMb,
      });
      say(
        `  ${Math.round(r.messagesPerSecond).toLocaleString('en-US')} messages/s, ${r.ratioOfBare.toFixed(2)} of the bare consume, peak RSS ${Math.round(r.peakRssMb)} MB`,
      );
    });
  if (stages.has('capture'))
    await stage('SAP capture', async () => {
      const c = await captureThroughput({
        config,
        admin: lagAdmin,
        run,
        rows: Number(args['sap-rows']),
        batchSize: Number(args['sap-batch']),
        log: say,
      });
      results.capture = c;
      results.memory.push({ stage: 'SAP capture throughput', role: 'sap-capture', peakRssMb: c.peakRssMb });
      say(
        `  ${Math.round(c.rowsPerSecond).toLocaleString('en-US')} rows/s, ${c.sweeps} sweeps, peak RSS ${Math.round(c.peakRssMb)} MB`,
      );
    });
} finally {
  await admin.disconnect();
  await lagAdmin.close();
}

results.finishedAt = new Date().toISOString();
mkdirSync(outDir, { recursive: true });
const files = await writeReport(outDir, results);
const latest = path.join('bench', 'results', 'latest');
rmSync(latest, { recursive: true, force: true });
cpSync(outDir, latest, { recursive: true });
say(`results: ${files.join(', ')} (and ${latest}/)`);
process.exit(results.failures.length > 0 ? 1 : 0);
