import { expect } from 'chai';
import { logLevel, type LogEntry } from 'kafkajs';
import { levelOf } from './kafkajs-logging.js';

const entry = (level: logLevel, message: string, error?: string): Pick<LogEntry, 'level' | 'log'> => ({
  level,
  log: { message, timestamp: '', logger: 'kafkajs', ...(error ? { error } : {}) },
});

describe('kafkajs log levels', () => {
  it('keeps errors that are not routine retries at error', () => {
    expect(levelOf(entry(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded'))).to.equal('error');
    expect(levelOf(entry(logLevel.WARN, 'Connection timeout'))).to.equal('warn');
  });

  it('takes routine coordinator answers that kafkajs retries down to debug', () => {
    expect(
      levelOf(
        entry(
          logLevel.ERROR,
          'Response AddPartitionsToTxn(key: 24, version: 1)',
          'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
        ),
      ),
    ).to.equal('debug');
    expect(
      levelOf(
        entry(
          logLevel.ERROR,
          'Response GroupCoordinator(key: 10, version: 2)',
          'The group coordinator is not available',
        ),
      ),
    ).to.equal('debug');
  });
});
