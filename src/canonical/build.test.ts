import { expect } from 'chai';
import { buildCanonicalEvent, type EventToBuild } from './build.js';
import { LEVEL, MOVEMENT } from './event.js';
import { eventId } from './identity.js';

const toBuild: EventToBuild = {
  type: MOVEMENT,
  fields: {
    sku: '4711',
    location: 'S001',
    quantity: '-2.500',
    unit: 'EA',
    reason: 'sale',
    occurredAt: '2026-11-20T08:15:02+01:00',
  },
  position: {
    system: 'store-pg',
    entity: 'store.public.sale_lines',
    change: 'row:{"id":53}',
    sequence: '0001',
    snapshot: false,
  },
  mapping: 'store-pg-sale-lines',
  emitIndex: 1,
};

describe('canonical event builder', () => {
  it('derives the id from the change and the mapping, keys by sku@location, and keeps the source block', () => {
    const built = buildCanonicalEvent(toBuild);
    if ('invalid' in built) expect.fail(built.invalid.reasons.join('; '));
    const { event } = built;
    expect(event.id).to.equal(
      eventId('store-pg', 'store.public.sale_lines', 'row:{"id":53}', 'store-pg-sale-lines', 1),
    );
    expect(event).to.deep.include({
      source: '/stockline/store-pg/store.public.sale_lines',
      type: MOVEMENT,
      time: '2026-11-20T08:15:02+01:00',
      subject: '4711@S001',
    });
    expect(event.data.source).to.deep.equal({
      system: 'store-pg',
      entity: 'store.public.sale_lines',
      position: 'row:{"id":53}',
      sequence: '0001',
    });
    expect(event.data.mapping).to.equal('store-pg-sale-lines');
  });

  it('marks a snapshot read, and gives another emit of the same change another id', () => {
    const snapshot = buildCanonicalEvent({
      ...toBuild,
      type: LEVEL,
      position: { ...toBuild.position, snapshot: true },
      emitIndex: 0,
    });
    if ('invalid' in snapshot) expect.fail(snapshot.invalid.reasons.join('; '));
    expect(snapshot.event.data.source.snapshot).to.equal(true);
    const first = buildCanonicalEvent(toBuild);
    expect('event' in first && first.event.id).to.not.equal(snapshot.event.id);
  });

  it('refuses data outside the published schema, naming the field and the value', () => {
    const built = buildCanonicalEvent({
      ...toBuild,
      fields: { ...toBuild.fields, sku: 'a b', reason: 'theft' },
    });
    if (!('invalid' in built)) expect.fail('expected the event to be refused');
    expect(built.invalid.field).to.equal('sku');
    expect(built.invalid.reasons[0]).to.match(/^sku must match pattern .* \(got "a b"\)$/);
    expect(built.invalid.reasons.some((r) => r.startsWith('reason ') && r.includes('"theft"'))).to.equal(
      true,
    );
  });
});
