// Helpers for the simulator's tests: a generated run without any source system.
import {
  ActivityGenerator,
  defaultSettings,
  type GeneratorSettings,
} from '../../src/dev/simulator/generator.js';
import { MICROS_PER_SECOND, type Micros } from '../../src/dev/simulator/source-time.js';
import { buildWorld, type World, type WorldOptions } from '../../src/dev/simulator/world.js';
import type { SourceWrite } from '../../src/dev/simulator/writes.js';

export interface GeneratedRun {
  world: World;
  writes: SourceWrite[];
}

/** 2026-11-20 08:00 UTC: winter time in Berlin (+01:00). */
export const TEST_START: Micros = Date.UTC(2026, 10, 20, 8) * 1000;

export function generateRun(
  options: {
    seed?: number;
    events?: number;
    rate?: number;
    world?: Partial<WorldOptions>;
    runId?: string;
    start?: Micros;
    settings?: Partial<GeneratorSettings>;
  } = {},
): GeneratedRun {
  const seed = options.seed ?? 1;
  const world = buildWorld(
    options.runId ?? 'T35T0',
    { stores: 6, warehouses: 2, items: 50, ...options.world },
    seed,
  );
  const generator = new ActivityGenerator(world, seed, {
    ...defaultSettings(7_000_000_001),
    ...options.settings,
  });
  const events = options.events ?? 2000;
  const rate = options.rate ?? 1000;
  const start = options.start ?? TEST_START;
  const writes: SourceWrite[] = [];
  let last = 0;
  while (writes.length < events) {
    const at = Math.max(last + 1, start + Math.floor((writes.length * MICROS_PER_SECOND) / rate));
    last = at;
    writes.push(...generator.next(at, events - writes.length));
  }
  return { world, writes };
}
