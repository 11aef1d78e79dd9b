import { expect } from 'chai';
import { toKafkaMessage } from '../canonical/cloudevents-kafka.js';
import type { CanonicalEvent } from '../canonical/event.js';
import type { RejectedBytes } from '../stock/rejected-bytes.js';
import { decodeCanonical, rejection } from './decode.js';
import type { RawMessage } from './event.js';

const event = (quantity: string): CanonicalEvent => ({
  id: 'id-1',
  source: '/stockline/pos/sales',
  type: 'inventory.movement',
  time: '2024-05-01T10:00:00.000000Z',
  subject: 'SKU1@S001',
  data: {
    sku: 'SKU1',
    location: 'S001',
    quantity,
    unit: 'EA',
    reason: 'sale',
    occurredAt: '2024-05-01T10:00:00.000000Z',
    source: { system: 'pos', entity: 'sales', position: '1', sequence: '1' },
    mapping: 'm',
  },
});

const raw = (e: CanonicalEvent): RawMessage => {
  const m = toKafkaMessage(e);
  const buf = (v: string | Buffer) => (typeof v === 'string' ? Buffer.from(v) : v);
  return {
    offset: '0',
    key: buf(m.key),
    value: buf(m.value),
    headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, buf(v)])),
  };
};

describe('materializer decode', () => {
  it('rejects quantities beyond what a stock row holds (numeric(24,6)) with the reason', () => {
    for (const q of ['1' + '0'.repeat(30), '1e30', '1000000000000000', '0.1234567']) {
      const decoded = decodeCanonical(raw(event(q)));
      expect(decoded, q).to.have.property('rejected');
      if ('rejected' in decoded) expect(decoded.rejected.reason).to.contain('at most 15.6 digits');
    }
    expect(decodeCanonical(raw(event('-999999999999999.999999')))).to.have.property('event');
  });

  it('keeps the bytes of a message that is not text beside its text form', () => {
    const r = rejection(
      {
        offset: '3',
        key: Buffer.from('k'),
        value: Buffer.from([0x7b, 0x00, 0x7d]),
        headers: { h: Buffer.from([0xff]) },
      },
      'not canonical',
      null,
    ) as ReturnType<typeof rejection> & RejectedBytes;
    expect(r.keyBytes).to.equal(undefined);
    expect(r.valueBytes).to.deep.equal(Buffer.from([0x7b, 0x00, 0x7d]));
    expect(r.headersBase64).to.equal(true);
    expect(r.headers).to.deep.equal({ h: '/w==' });
  });
});
