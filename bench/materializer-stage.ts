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
}

export async function materializerThroughput(events: number): Promise<MaterializerResult> {
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
    ];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`scripts/bench-materializer.ts exited with ${code}`);
    return JSON.parse(readFileSync(file, 'utf8')) as MaterializerResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
