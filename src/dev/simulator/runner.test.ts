import { expect } from 'chai';
import { RemoteError } from '../../errors.js';
import { stockEffects } from './effects.js';
import { ActivityGenerator, defaultSettings, type GeneratorSettings } from './generator.js';
import { ExpectedLedger } from './ledger.js';
import { runSimulation, type RunInput } from './runner.js';
import { TEST_START } from '../../../test/support/simulated-run.js';
import type { SourceWriter } from './writers/port.js';
import { buildWorld } from './world.js';
import type { SourceName, SourceWrite } from './writes.js';

class FakeWriter implements SourceWriter {
  readonly batches: SourceWrite[][] = [];
  /** Late commits: committed ones in commit order, and those still open. */
  readonly heldCommitted: SourceWrite[][] = [];
  readonly open = new Set<() => void>();
  released = 0;
  constructor(
    readonly source: SourceName,
    private readonly failOnBatch = -1,
  ) {}
  write(writes: readonly SourceWrite[]): Promise<void> {
    if (this.batches.length === this.failOnBatch) return Promise.reject(new Error('connection reset'));
    this.batches.push([...writes]);
    return Promise.resolve();
  }
  /** Commits when the test says so (commitAll), or when released. */
  writeHeld(writes: readonly SourceWrite[]): Promise<void> {
    return new Promise((resolve) => {
      const commit = () => {
        this.open.delete(commit);
        this.heldCommitted.push([...writes]);
        resolve();
      };
      this.open.add(commit);
    });
  }
  commitAll(): void {
    for (const commit of [...this.open]) commit();
  }
  release(): void {
    this.released++;
    this.commitAll();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(
  options: { failing?: SourceName; failOnBatch?: number; settings?: Partial<GeneratorSettings> } = {},
) {
  const world = buildWorld('RUN01', { stores: 6, warehouses: 2, items: 20 }, 3);
  const writers = Object.fromEntries(
    (['store-pg', 'store-maria', 'sap', 'mainframe'] as const).map((s) => [
      s,
      new FakeWriter(s, s === options.failing ? (options.failOnBatch ?? 0) : -1),
    ]),
  ) as Record<SourceName, FakeWriter>;
  // A clock that jumps one tick (100 ms) at every reading: the run goes as fast as it can.
  let now = TEST_START;
  const input = (plan: RunInput['plan'], extra: Partial<RunInput> = {}): RunInput => ({
    generator: new ActivityGenerator(world, 3, {
      ...defaultSettings(7_000_000_001),
      sapLateShare: 0,
      ...options.settings,
    }),
    writers,
    ledger: new ExpectedLedger(),
    plan,
    clock: () => (now += 100_000),
    ...extra,
  });
  return { writers, input };
}

const all = (writers: Record<SourceName, FakeWriter>) =>
  Object.values(writers).flatMap((w) => w.batches.flat());

describe('simulator: the run loop', () => {
  it('writes the planned events in batches per source, counts them, and keeps the expected stock of what it wrote', async () => {
    const { writers, input } = setup();
    const run = input({ rate: 2000, events: 3000 });
    const result = await runSimulation(run);
    expect(result.outcome).to.equal('complete');
    expect(result.written).to.equal(3000);
    const written = all(writers);
    expect(written).to.have.length(3000);
    for (const w of Object.values(writers)) {
      expect(w.batches.length, w.source).to.be.above(3);
      for (const batch of w.batches) for (const write of batch) expect(write.system).to.equal(w.source);
    }
    expect(
      result.counts['store-pg'].sale_lines!.inserted + result.counts['store-maria'].sale_lines!.inserted,
    ).to.equal(written.filter((w) => w.kind === 'sale_line').length);
    const ledger = new ExpectedLedger();
    for (const w of written) ledger.applyAll(stockEffects(w));
    expect(run.ledger.rows()).to.deep.equal(ledger.rows());
    // Times within a source's batches increase: each batch is a slice of the plan in order.
    for (const w of Object.values(writers)) {
      const times = w.batches.flat().map((x) => x.at);
      expect(times).to.deep.equal([...times].sort((a, b) => a - b));
    }
  });

  it('a batch spans at most half a second of planned time, also when the run is behind', async () => {
    const { writers, input } = setup();
    await runSimulation(input({ rate: 10_000, events: 20_000 }));
    for (const w of Object.values(writers))
      for (const batch of w.batches)
        expect(batch[batch.length - 1]!.at - batch[0]!.at).to.be.at.most(500_000);
  });

  it('a source that refuses a batch ends the run: failed, with the source named; the rest of that batch counts', async () => {
    const { writers, input } = setup({ failing: 'sap', failOnBatch: 2 });
    const run = input({ rate: 1000, events: 5000 });
    const result = await runSimulation(run);
    expect(result.outcome).to.equal('failed');
    expect(result.error).to.be.instanceOf(RemoteError);
    expect((result.error as Error).message).to.equal('writing to sap failed: connection reset');
    const written = all(writers);
    expect(result.written).to.equal(written.length);
    const ledger = new ExpectedLedger();
    for (const w of written) ledger.applyAll(stockEffects(w));
    expect(run.ledger.rows()).to.deep.equal(ledger.rows());
  });

  it('stops when asked (Ctrl-C): interrupted, with what it wrote so far', async () => {
    const { input } = setup();
    const controller = new AbortController();
    let ticks = 0;
    const result = await runSimulation(
      input(
        { rate: 1000, events: 100_000 },
        { signal: controller.signal, onProgress: () => ++ticks === 5 && controller.abort() },
      ),
    );
    expect(result.outcome).to.equal('interrupted');
    expect(result.written).to.be.within(1, 5000);
  });

  it('with a duration, stops when the time is up', async () => {
    const { input } = setup();
    const result = await runSimulation(input({ rate: 500, durationMs: 2000 }));
    expect(result.outcome).to.equal('complete');
    expect(result.written).to.be.within(500, 1005);
  });

  describe("SAP's late commits", () => {
    it('a late document is written on its own, counted once committed, and the run waits for it', async () => {
      const { writers, input } = setup({ settings: { sapLateShare: 0.3 } });
      const sap = writers.sap;
      const run = input({ rate: 2000, events: 3000 });
      let openSeen = 0;
      // Commit the open ones a few ticks later: later documents have committed by then.
      const result = await runSimulation({
        ...run,
        onProgress: (p) => {
          openSeen = Math.max(openSeen, sap.open.size);
          if (p.written < 3000 && sap.open.size > 3) sap.commitAll();
          if (p.written >= 3000 - sap.open.size - 100) sap.commitAll();
        },
      });
      expect(result.outcome).to.equal('complete');
      expect(result.written).to.equal(3000);
      expect(openSeen).to.be.above(0);
      expect(sap.released).to.equal(0);
      const late = sap.heldCommitted.flat();
      expect(late.length).to.be.above(10);
      for (const document of sap.heldCommitted) {
        // One document per transaction, all its lines.
        expect(new Set(document.map((w) => (w.kind === 'matdoc' ? w.row.MBLNR : '')))).to.have.property(
          'size',
          1,
        );
        for (const w of document) expect(w.kind === 'matdoc' && w.holdMs).to.be.above(0);
      }
      // Nothing late among the prompt batches; the expected stock holds both.
      for (const w of sap.batches.flat()) expect(w.kind === 'matdoc' && w.holdMs).to.equal(undefined);
      const ledger = new ExpectedLedger();
      for (const w of [...all(writers), ...late]) ledger.applyAll(stockEffects(w));
      expect(run.ledger.rows()).to.deep.equal(ledger.rows());
      expect(result.counts.sap.MATDOC!.inserted).to.equal(sap.batches.flat().length + late.length);
    });

    it('a stopped run commits the late documents still open at once, and counts them', async () => {
      const { writers, input } = setup({ settings: { sapLateShare: 0.5 } });
      const controller = new AbortController();
      let ticks = 0;
      const result = await runSimulation(
        input(
          { rate: 1000, events: 100_000 },
          { signal: controller.signal, onProgress: () => ++ticks === 20 && controller.abort() },
        ),
      );
      expect(result.outcome).to.equal('interrupted');
      expect(writers.sap.released).to.be.above(0);
      expect(writers.sap.open.size).to.equal(0);
      expect(result.written).to.equal(all(writers).length + writers.sap.heldCommitted.flat().length);
    });
  });
});
