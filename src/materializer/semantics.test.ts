import { expect } from 'chai';
import type { KeyStart } from '../stock/model.js';
import { Quantity } from '../stock/quantity.js';
import { level, movement } from '../../test/support/materializer-events.js';
import { EMPTY_START, foldKeyEvents, stockAfter } from './semantics.js';

const onHand = (start: string | null, fold: Parameters<typeof stockAfter>[1]) =>
  stockAfter(start === null ? null : new Quantity(start), fold).onHand.toFixed();

describe('materializer semantics (one key)', () => {
  it('a movement adds its signed quantity, exactly', () => {
    const fold = foldKeyEvents(EMPTY_START, [
      movement('10.1', '08:00'),
      movement('-0.2', '08:01'),
      movement('0.1', '08:02'),
    ]);
    expect(fold.delta.toFixed()).to.equal('10');
    expect(fold.level).to.equal(null);
    expect(fold.applied).to.equal(3);
    expect(onHand('5', fold)).to.equal('15');
    expect(fold.last?.occurredAt).to.equal('2024-05-01T08:02:00.000000Z');
  });

  it('a level sets the quantity as of its time; later movements add to it', () => {
    const fold = foldKeyEvents(EMPTY_START, [
      movement('3', '08:00'),
      level('100', '09:00'),
      movement('-4', '09:30'),
    ]);
    expect(fold.level?.quantity.toFixed()).to.equal('100');
    expect(fold.level?.asOf).to.equal('2024-05-01T09:00:00.000000Z');
    expect(onHand('7', fold)).to.equal('96');
  });

  it('a level is a barrier: movements that occurred before it or at its time are not added again', () => {
    const fold = foldKeyEvents(EMPTY_START, [
      level('100', '09:00'),
      movement('-5', '08:59', { system: 'sap' }), // late: the count already includes it
      movement('-1', '09:00'), // at the level's time: the count includes it too
      movement('2', '09:10'),
    ]);
    expect(fold.beforeLevel).to.equal(2);
    expect(onHand(null, fold)).to.equal('102');
    expect(fold.ledger.map((e) => e.quantity.toFixed())).to.deep.equal(['2']);
  });

  it('a late level sets the stock as of its time: movements that occurred after it stay on top, whichever arrived first', () => {
    // In one batch: movements of 09:05 and 08:50 arrived before the count of 09:00.
    const fold = foldKeyEvents(EMPTY_START, [
      movement('-3', '09:05', { id: 'after' }),
      movement('-4', '08:50', { id: 'before' }),
      level('100', '09:00'),
      movement('1', '09:10', { id: 'later' }),
    ]);
    expect(onHand('55', fold)).to.equal('98');
    expect(fold.ledger.map((e) => e.id)).to.deep.equal(['after', 'later']);
    // Across batches: the stored ledger holds what was applied after the stored barrier.
    const start: KeyStart = {
      unit: 'EA',
      levelAsOf: '2024-05-01T08:00:00.000000Z',
      ledger: [
        { eventId: 'm1', occurredAt: '2024-05-01T08:30:00.000000Z', quantity: '-7' },
        { eventId: 'm2', occurredAt: '2024-05-01T09:30:00.000000Z', quantity: '-2.5' },
      ],
    };
    const late = foldKeyEvents(start, [level('40', '09:00')]);
    expect(onHand('123', late)).to.equal('37.5');
  });

  it('a level equal to the one applied, or older, is a no-op', () => {
    const start: KeyStart = { unit: 'EA', levelAsOf: '2024-05-01T09:00:00.000000Z', ledger: [] };
    const fold = foldKeyEvents(start, [level('100', '09:00'), level('90', '08:00')]);
    expect(fold.applied).to.equal(0);
    expect(fold.beforeLevel).to.equal(2);
  });

  it('the stored barrier bars older movements and older levels of a later batch', () => {
    const start: KeyStart = { unit: 'EA', levelAsOf: '2024-05-01T09:00:00.000000Z', ledger: [] };
    const fold = foldKeyEvents(start, [movement('-5', '08:30'), level('1', '08:45'), movement('2', '09:05')]);
    expect(fold.beforeLevel).to.equal(2);
    expect(fold.level).to.equal(null);
    expect(onHand('100', fold)).to.equal('102');
  });

  it('applies the events of one key whatever the order of their source sequences (several tables and partitions)', () => {
    const fold = foldKeyEvents(EMPTY_START, [
      movement('-1', '08:02', { sequence: '000000000300', id: 'sale' }),
      movement('24', '08:01', { sequence: '000000000266', id: 'receipt' }),
      movement('-2', '08:03', { sequence: '000000000120', id: 'other-partition' }),
    ]);
    expect(fold.applied).to.equal(3);
    expect(fold.delta.toFixed()).to.equal('21');
  });

  it('negative stock is kept and flagged', () => {
    const fold = foldKeyEvents(EMPTY_START, [movement('2', '08:00'), movement('-3.5', '08:01')]);
    expect(stockAfter(null, fold)).to.deep.include({ negative: true });
    expect(onHand(null, fold)).to.equal('-1.5');
    expect(stockAfter(new Quantity('1.5'), fold).negative).to.equal(false);
    expect(stockAfter(new Quantity('1.5'), fold).onHand.toFixed()).to.equal('0');
  });

  it('a movement in another unit than the row is rejected; a level may restate the unit', () => {
    const start: KeyStart = { unit: 'EA', levelAsOf: null, ledger: [] };
    const fold = foldKeyEvents(start, [
      movement('1', '08:00', { unit: 'KG' }),
      level('2', '08:10', { unit: 'KG' }),
      movement('1', '08:20', { unit: 'KG' }),
    ]);
    expect(fold.rejected.map((r) => r.reason)).to.deep.equal([
      "unit KG differs from the stock row's unit EA",
    ]);
    expect(fold.unit).to.equal('KG');
    expect(onHand('5', fold)).to.equal('3');
  });

  it('with an unknown start it records the unit it assumed', () => {
    expect(foldKeyEvents(EMPTY_START, [movement('1', '08:00', { unit: 'KG' })]).assumedUnit).to.equal('KG');
    expect(foldKeyEvents(EMPTY_START, [level('1', '08:00', { unit: 'KG' })]).assumedUnit).to.equal(null);
  });
});
