import { expect } from 'chai';
import { byteChunks, recordBytes, SEND_BYTES } from './record-bytes.js';
import type { OutgoingRecord } from './port.js';

const out = (valueBytes: number): OutgoingRecord => ({
  topic: 't',
  key: 'k',
  value: Buffer.alloc(valueBytes),
  headers: { 'stockline.dlq.error': 'x'.repeat(100) },
});

describe('produce requests bounded by bytes', () => {
  it('splits 1,080 dead letters of ~1.8 KB (1.95 MB) into requests under the broker limit, in order', () => {
    const records = Array.from({ length: 1080 }, () => out(1700));
    const chunks = byteChunks(records);
    expect(chunks.length).to.equal(3);
    expect(chunks.flat()).to.deep.equal(records);
    for (const c of chunks) expect(c.reduce((n, r) => n + recordBytes(r), 0)).to.be.at.most(SEND_BYTES);
  });

  it('sends a record larger than the bound alone', () => {
    const chunks = byteChunks([out(10), out(SEND_BYTES), out(10)]);
    expect(chunks.map((c) => c.length)).to.deep.equal([1, 1, 1]);
  });
});
