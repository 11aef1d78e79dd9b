// Materializer throughput over canonical events already on Kafka: the whole role (decode,
// per-key plan, one statement per batch, stock topic), measured by scripts/bench-materializer.ts
// in a process of its own, which also reports that process's peak RSS.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface MaterializerResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  keys?: number;
  peakRssMb: number;
  /** With keepTopic: the topic the events were preloaded onto, left for the peer stage. */
  topic?: string;
  partitions?: number;
  /** CPU seconds of the measuring process (the role in it, and the benchmark's polling) from the role's start to its stop. */
  cpuSeconds?: number;
  cpuMicrosPerEvent?: number;
}

/** keepTopic: leave the preloaded topic for the peer stage (bench/peer-stage.ts), which deletes it. */
export async function materializerThroughput(
  events: number,
  { keepTopic = false }: { keepTopic?: boolean } = {},
): Promise<MaterializerResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stockline-bench-'));
  const file = path.join(dir, 'materializer.json');
  try {
    const args = [
      '--import',
      'tsx',
      'scripts/bench-materializer.ts',
      '--e2e-only',
      '--events',
      String(events),
      '--json',
      file,
      ...(keepTopic ? ['--keep-topic'] : []),
    ];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`scripts/bench-materializer.ts exited with ${code}`);
    const result = JSON.parse(readFileSync(file, 'utf8')) as MaterializerResult & {
      runs?: { cpuSeconds?: number }[];
    };
    const { runs, ...rest } = result;
    const cpuSeconds = runs?.[0]?.cpuSeconds;
    return cpuSeconds === undefined
      ? rest
      : { ...rest, cpuSeconds, cpuMicrosPerEvent: (cpuSeconds * 1e6) / rest.events };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
