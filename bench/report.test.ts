import { expect } from 'chai';
import { chart, markdown, TARGETS, type BenchResults } from './report.js';

const results: BenchResults = {
  startedAt: '2026-11-25T12:00:00.000Z',
  machine: { cpus: 2, cpuModel: 'test cpu', memoryGiB: 24, node: '20.20.2' },
  events: 1_000_000,
  targets: TARGETS,
  ceiling: [
    {
      client: 'kafkajs',
      messages: 1_000_000,
      seconds: 5,
      messagesPerSecond: 200_000,
      cpuSeconds: 4,
      cpuMicrosPerMessage: 4,
    },
  ],
  mapper: [
    {
      client: 'kafkajs',
      code: 'current',
      events: 1_000_000,
      seconds: 20,
      eventsPerSecond: 50_000,
      cpuMicrosPerEvent: 18,
      parentCpuMicrosPerEvent: 0.05,
      produced: 1_000_000,
      deadLettered: 0,
      peakRssMb: 300,
      ratioOfCeiling: 0.25,
      cpuRatioOfCeiling: 4.5,
    },
  ],
  materializer: { events: 1_000_000, seconds: 10, eventsPerSecond: 100_000, peakRssMb: 600 },
  endToEnd: {
    client: 'kafkajs',
    highestSustainedRate: 5000,
    peakRssMb: { mapper: 200 },
    steps: [
      {
        targetRate: 5000,
        achievedRate: 5000,
        events: 200_000,
        seconds: 40,
        lag: [],
        maxLag: { mapper: 100, materializer: 200 },
        drainSeconds: 1.5,
        verified: 'matched',
        differences: 0,
        latencySeconds: { p50: 0.2, p95: 0.5, p99: 0.9, samples: 1000 },
        keepsUp: true,
      },
    ],
  },
  replicator: {
    messages: 20_000,
    batchSize: 200,
    bare: { seconds: 2, messagesPerSecond: 10_000 },
    seconds: 5,
    messagesPerSecond: 4_000,
    ratioOfBare: 0.4,
    replicated: 20_000,
    batches: 100,
    peakRssMb: 150,
  },
  memory: [{ stage: 'end to end', role: 'materializer', peakRssMb: 600 }],
  failures: [],
};

describe('bench: report', () => {
  it('puts each figure against its target in the Markdown tables', () => {
    const md = markdown(results);
    expect(md).to.include('| bare consume loop (ceiling) | kafkajs | | 200,000 | 4.0 | 1.00 | 1.00 | | | |');
    expect(md).to.include(
      '| mapper | kafkajs | current | 50,000 | 18.0 | 0.25 | 4.50 | 0.05 | 100,000 | missed |',
    );
    expect(md).to.include('| materializer | kafkajs | current | 100,000 | | | | | 50,000 | met |');
    expect(md).to.include(
      '| 300,000 | 300,000 | 200,000 | 100 | 200 | 1.5 s | matched | 200 ms | 500 ms | 900 ms | yes |',
    );
    expect(md).to.include('Highest sustained rate: 300,000 per minute');
    expect(md).to.include('| end to end | materializer | 600 MB | 512 MB | missed |');
    expect(md).to.include('| bare consume (amqplib) | 10,000 | 1.00 | | |');
    expect(md).to.include('| MQ replicator | 4,000 | 0.40 | 100 | 20,000 |');
  });

  it('sets the Kafka Streams peer beside the materializer, with the ratio', () => {
    const md = markdown({
      ...results,
      materializer: { ...results.materializer!, cpuMicrosPerEvent: 40 },
      peer: {
        events: 1_000_000,
        partitions: 6,
        processed: 1_000_000,
        seconds: 40,
        eventsPerSecond: 25_000,
        startupSeconds: 3,
        cpuSeconds: 60,
        cpuSecondsWhileApplying: 55,
        cpuMicrosPerEvent: 60,
        peakRssMb: 900,
        maxHeapMb: 4000,
        kafkaStreams: '4.1.1',
        java: '17',
        built: false,
        ratioMaterializerToPeer: 4,
      },
    });
    expect(md).to.include('| materializer | kafkajs | current | 100,000 | 40.0 | | | | 50,000 | met |');
    expect(md).to.include('| Kafka Streams peer | 25,000 | 60.0 | 900 MB | 3.0 s |');
    expect(md).to.include('| materializer / peer | 4.00 | 0.67 | | |');
  });

  it('renders the chart as SVG', async () => {
    const svg = await chart(results);
    expect(svg).to.match(/^<svg/);
    expect(svg).to.include('mapper (kafkajs)');
  });
});
