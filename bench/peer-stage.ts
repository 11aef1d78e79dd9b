// The peer (issue 14): a Kafka Streams application (bench/kafka-streams-peer, Kafka Streams
// 4.1.1, exactly_once_v2, Jackson, BigDecimal, a RocksDB store with its changelog, an output
// topic) over the same preloaded canonical events as the materializer stage of the same run.
// The jar is built with `mvn -q package` into bench/kafka-streams-peer/target/ (gitignored), and
// reused while it is newer than the pom and the source. The JVM measures itself: CPU (user +
// system, /proc/self/stat) and peak RSS (VmHWM) when its committed offsets reach the topic's end.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Admin } from 'kafkajs';

export const PEER_DIR = path.join('bench', 'kafka-streams-peer');
const SOURCE = path.join(PEER_DIR, 'src', 'main', 'java', 'dev', 'stockline', 'peer', 'StockPeer.java');
const JAR = path.join(PEER_DIR, 'target', 'kafka-streams-peer.jar');

export interface PeerResult {
  events: number;
  partitions: number;
  /** Records the parse step saw (more than events if a task was retried). */
  processed: number;
  /** From the first committed offset to the last partition caught up, as for the materializer. */
  seconds: number;
  eventsPerSecond: number;
  startupSeconds: number;
  /** CPU of the JVM (every thread) from its start to caught up, and over the timed window only. */
  cpuSeconds: number;
  cpuSecondsWhileApplying: number;
  cpuMicrosPerEvent: number;
  peakRssMb: number;
  maxHeapMb: number;
  kafkaStreams: string;
  java: string;
  built: boolean;
}

/** Builds the jar unless a build newer than its pom and source is there; returns whether it built. */
export function buildPeer(): boolean {
  const newest = Math.max(statSync(path.join(PEER_DIR, 'pom.xml')).mtimeMs, statSync(SOURCE).mtimeMs);
  if (existsSync(JAR) && statSync(JAR).mtimeMs > newest) return false;
  const r = spawnSync('mvn', ['-B', '-q', '-f', path.join(PEER_DIR, 'pom.xml'), 'package'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`mvn package of ${PEER_DIR} failed (${r.status ?? r.signal})`);
  return true;
}

export async function peerThroughput(options: {
  admin: Admin;
  brokers: string[];
  run: string;
  /** The materializer stage's preloaded topic (kept for this stage); deleted at the end. */
  topic: string;
  log: (line: string) => void;
}): Promise<PeerResult> {
  const { admin, topic } = options;
  const appId = `${options.run}-peer`;
  const output = `${appId}.stock`;
  // In the gitignored build folder: Kafka Streams warns of state in the OS's temporary folder.
  const stateDir = path.resolve(PEER_DIR, 'target', 'state', appId);
  try {
    const built = buildPeer();
    mkdirSync(stateDir, { recursive: true });
    if (built) options.log(`  built ${JAR}`);
    const classpath = [JAR, path.join(PEER_DIR, 'target', 'lib', '*')].join(path.delimiter);
    const argv = [
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      classpath,
      'dev.stockline.peer.StockPeer',
      ...['--bootstrap', options.brokers.join(','), '--input', topic, '--output', output],
      ...['--app-id', appId, '--state-dir', stateDir],
    ];
    let line: string | undefined;
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('java', argv, { stdio: ['ignore', 'pipe', 'inherit'] });
      let partial = '';
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.startsWith('PEER_RESULT ')) line = l.slice('PEER_RESULT '.length);
      });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0 || line === undefined) throw new Error(`the Kafka Streams peer exited with ${code}`);
    const r = JSON.parse(line) as Omit<PeerResult, 'cpuMicrosPerEvent' | 'built'>;
    return { ...r, cpuMicrosPerEvent: (r.cpuSeconds * 1e6) / r.events, built };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    const created = await admin.listTopics();
    const ours = created.filter((t) => t === topic || t === output || t.startsWith(`${appId}-`));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours }).catch(() => undefined);
    await admin.deleteGroups([appId]).catch(() => undefined);
  }
}
