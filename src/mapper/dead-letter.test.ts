import { expect } from 'chai';
import type { KafkaRecord } from '../kafka/port.js';
import { DEAD_LETTER_MAX_BYTES, deadLetter, DLQ_HEADERS } from './dead-letter.js';

const record = (value: Buffer | null, headers: Record<string, Buffer | undefined> = {}): KafkaRecord => ({
  topic: 'raw.t',
  partition: 2,
  offset: '41',
  timestamp: '0',
  key: Buffer.from('k'),
  value,
  headers,
});

describe('dead letters', () => {
  it('carry the original key, value and headers byte for byte, with the reason and where it came from', () => {
    const letter = deadLetter(
      'dlq',
      record(Buffer.from([0, 1, 2]), { h: Buffer.from('v') }),
      'm',
      new Error('bad'),
    );
    expect(letter.value).to.deep.equal(Buffer.from([0, 1, 2]));
    expect(letter.headers).to.include({
      h: letter.headers.h,
      [DLQ_HEADERS.error]: 'bad',
      [DLQ_HEADERS.offset]: '41',
    });
    expect(letter.headers[DLQ_HEADERS.omitted]).to.equal(undefined);
  });

  it('leave out a value that would make them larger than the broker accepts, and say where the original is', () => {
    const letter = deadLetter(
      'dlq',
      record(Buffer.alloc(1_047_000), { h: Buffer.from('v') }),
      'm',
      new Error('bad'),
    );
    expect(letter.value).to.equal(null);
    expect(letter.key).to.deep.equal(Buffer.from('k'));
    expect(letter.headers).to.include({ [DLQ_HEADERS.error]: 'bad', [DLQ_HEADERS.topic]: 'raw.t' });
    expect(letter.headers.h).to.deep.equal(Buffer.from('v'));
    expect(String(letter.headers[DLQ_HEADERS.omitted])).to.equal(
      `value (1047000 bytes) left out: the dead letter would exceed ${DEAD_LETTER_MAX_BYTES} bytes; the original is on raw.t partition 2 at offset 41`,
    );
  });

  it('leave out huge original headers too, and cut a huge reason', () => {
    const letter = deadLetter(
      'dlq',
      record(null, { big: Buffer.alloc(950_000) }),
      'm',
      new Error('e'.repeat(100_000)),
    );
    expect(letter.headers.big).to.equal(undefined);
    expect(String(letter.headers[DLQ_HEADERS.omitted])).to.match(/^headers \(950003 bytes\) left out/);
    expect(String(letter.headers[DLQ_HEADERS.error]).length).to.be.lessThan(4100);
  });
});
