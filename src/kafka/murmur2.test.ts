import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { Partitioners } from 'kafkajs';
import { javaPartition, murmur2 } from './murmur2.js';

// kafkajs's own murmur2 (64-bit Long arithmetic, checked against the Java client by kafkajs).
const kafkajsMurmur2 = createRequire(import.meta.url)(
  'kafkajs/src/producer/partitioners/default/murmur2.js',
) as (key: Buffer | string) => number;

describe('murmur2 partitioner', () => {
  it("hashes keys exactly as kafkajs's (and so the Java client's) murmur2", () => {
    const keys = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      '4006381333931@S001',
      'SKU-é@L1',
      ...Array.from({ length: 2000 }, (_, i) => randomBytes(i % 41).toString('latin1')),
    ];
    for (const key of keys) {
      const bytes = Buffer.from(key, 'utf8');
      expect(murmur2(bytes), JSON.stringify(key)).to.equal(kafkajsMurmur2(bytes));
    }
  });

  it('matches the Java client on its published test vectors', () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key)), key).to.equal(hash);
  });

  it("places a key on kafkajs's default (Java-compatible) partitioner's partition", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 7]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
        partitionId: i,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }));
      for (const key of ['4006381333931@S001', 'W01', 'SKU-é@L1', 'x'.repeat(100)]) {
        const expected = partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
        expect(javaPartition(key, partitions), `${key} of ${partitions}`).to.equal(expected);
      }
    }
  });
});
