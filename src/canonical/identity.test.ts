import { expect } from 'chai';
import { v5 } from 'uuid';
import { EVENT_ID_NAMESPACE, eventId, parseStockKey, sortable, stockKey, uuidV5 } from './identity.js';

describe('canonical identity', () => {
  it('computes RFC 4122 version 5 UUIDs exactly as the uuid package does', () => {
    for (const name of ['', 'a', 'store-pg|store.public.sale_lines|lsn:1:2:{"id":1}|m|0', 'Köln ✓ 🚚']) {
      expect(uuidV5(name)).to.equal(v5(name, EVENT_ID_NAMESPACE));
    }
    // Every variant nibble, names longer than the reused buffer, and shorter ones after them.
    for (let i = 0; i < 2000; i++) {
      const name = `store-pg|store.public.sale_lines|row:{"sale_line_id":${i}}|m|${i % 3}${i % 500 === 7 ? 'ü'.repeat(700 * (1 + Math.floor(i / 500))) : ''}`;
      expect(uuidV5(name), name).to.equal(v5(name, EVENT_ID_NAMESPACE));
    }
  });

  it('gives the same event id for the same source position, and another for another emit', () => {
    const a = eventId('store-pg', 'store.public.transfers', 'lsn:1:2:{}', 'm', 0);
    expect(eventId('store-pg', 'store.public.transfers', 'lsn:1:2:{}', 'm', 0)).to.equal(a);
    expect(eventId('store-pg', 'store.public.transfers', 'lsn:1:2:{}', 'm', 1)).to.not.equal(a);
  });

  it('keys by sku@location and splits the key back', () => {
    expect(stockKey('100200', 'S001')).to.equal('100200@S001');
    expect(parseStockKey('100200@S001')).to.deep.equal({ sku: '100200', location: 'S001' });
    expect(sortable(42, 5)).to.equal('00042');
  });
});
