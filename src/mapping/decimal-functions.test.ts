import { expect } from 'chai';
import { decimalFunctions as d, scaleQuantity } from './decimal-functions.js';
import { textFunctions, timeFunctions as t } from './time-functions.js';

describe('exact decimal functions', () => {
  it('keep the scale of their operands and never round through binary floats', () => {
    expect(d.dadd('0.1', '0.2')).to.equal('0.3');
    expect(d.dsub('40.000', '38.500')).to.equal('1.500');
    expect(d.dneg('2.500')).to.equal('-2.500');
    expect(d.dneg('0.000')).to.equal('0.000');
    expect(d.dmul('2.000', '12')).to.equal('24.000');
    expect(d.dadd('99999999999999.999', '0.001')).to.equal('100000000000000.000');
    expect(d.dcmp('-1.000', '0')).to.equal(-1);
  });

  it('refuse binary floating-point and non-numbers', () => {
    expect(() => d.dneg(0.1)).to.throw('binary floating-point');
    expect(() => d.dneg('abc')).to.throw('"abc" is not a decimal number');
    expect(d.dneg(3)).to.equal('-3');
  });

  it('accept decimal notation only: no hex, binary, octal, exponent, blanks or infinities', () => {
    for (const text of [
      '0x10',
      '0b11',
      '0o7',
      '1e2',
      '1E-2',
      ' 5',
      '5 ',
      '',
      'Infinity',
      '-Infinity',
      'NaN',
      '1_000',
    ])
      expect(() => scaleQuantity(text, 1, undefined), JSON.stringify(text)).to.throw(
        'is not a decimal number',
      );
    expect(() => d.dadd('0x10', '1')).to.throw('"0x10" is not a decimal number');
    expect(() => scaleQuantity(Infinity, 1, undefined)).to.throw();
    expect(() => scaleQuantity('2', 1, '0x10')).to.throw('"0x10" is not a decimal number');
    for (const [text, want] of [
      ['5', '5'],
      ['-5.50', '-5.50'],
      ['+2', '2'],
      ['0.5', '0.5'],
      ['.5', '0.5'],
    ])
      expect(scaleQuantity(text, 1, undefined)).to.equal(want);
  });

  it('scale a quantity by sign and unit factor', () => {
    expect(scaleQuantity('2.000', -1, '12')).to.equal('-24.000');
    expect(scaleQuantity('500', 1, '0.001')).to.equal('0.5');
    expect(() => scaleQuantity('1', 2, undefined)).to.throw('sign must be 1 or -1');
  });
});

describe('time and text functions', () => {
  it('read DB2 timestamps in the data center zone, keeping microseconds, across DST', () => {
    expect(t.db2Timestamp('2026-11-20-08.15.02.123456', 'Europe/Berlin')).to.equal(
      '2026-11-20T08:15:02.123456+01:00',
    );
    expect(t.db2Timestamp('2026-07-01-23.59.59.000001', 'Europe/Berlin')).to.equal(
      '2026-07-01T23:59:59.000001+02:00',
    );
    expect(() => t.db2Timestamp('2026-11-20 08:15', 'Europe/Berlin')).to.throw('is not a DB2 timestamp');
    expect(() => t.db2Timestamp('2026-13-20-08.15.02.000000', 'Europe/Berlin')).to.throw('$db2Timestamp');
  });

  it('read ABAP DATS and TIMS, and Debezium microseconds', () => {
    expect(t.sapDateTime('20261125', '101500', 'Europe/Berlin')).to.equal('2026-11-25T10:15:00+01:00');
    expect(() => t.sapDateTime('2026112', '101500', 'Europe/Berlin')).to.throw('not ABAP DATS/TIMS');
    expect(t.sapDate('20261130')).to.equal('2026-11-30');
    expect(() => t.sapDate('20261131')).to.throw('not an ABAP DATS date');
    expect(() => t.sapDate('2026-11-30')).to.throw('not an ABAP DATS date');
    expect(t.fromEpochMicros(1795600000123456)).to.equal('2026-11-25T09:46:40.123456Z');
    expect(() => t.fromEpochMicros('1')).to.throw('whole microseconds');
  });

  it('strip the zero padding of SAP material numbers', () => {
    expect(textFunctions.stripZeros('000000000000100200')).to.equal('100200');
    expect(textFunctions.stripZeros('0000')).to.equal('0');
    expect(textFunctions.stripZeros('A0001')).to.equal('A0001');
  });

  it('identify an MQ message by queue manager, queue and message id, and refuse a record without them', () => {
    const headers = {
      'mq.qmgr': 'QMWH01',
      'mq.queue': 'WH.STOCK.MOVES',
      'mq.msgId': '414d51',
      'mq.backoutCount': '3',
    };
    expect(textFunctions.mqIdentity(headers)).to.equal('QMWH01/WH.STOCK.MOVES/414d51');
    expect(() => textFunctions.mqIdentity({ ...headers, 'mq.msgId': '' })).to.throw(
      '$mqIdentity: the record has no mq.msgId header (or it is empty)',
    );
    expect(() => textFunctions.mqIdentity({})).to.throw('no mq.qmgr, mq.queue, mq.msgId headers');
    expect(() => textFunctions.mqIdentity(undefined)).to.throw('no mq.qmgr, mq.queue, mq.msgId headers');
  });
});
