import { expect } from 'chai';
import type { SourceWrite } from '../writes.js';
import type { SourceWriter } from './port.js';
import { isTransientWriteError, RetryingWriter, type RetryNotice } from './retrying.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const batch = [{ system: 'store-pg' }] as unknown as SourceWrite[];

/** A writer whose connection fails as scripted: one entry per write call, an error or success. */
class ScriptedWriter implements SourceWriter {
  readonly source = 'store-pg' as const;
  closed = false;
  constructor(
    private readonly script: (Error | 'ok')[],
    readonly written: string[],
    private readonly name: string,
  ) {}
  write(): Promise<void> {
    const next = this.script.shift() ?? 'ok';
    if (next !== 'ok') return Promise.reject(next);
    this.written.push(this.name);
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const fast = { minDelayMs: 1, maxDelayMs: 2, maxOutageMs: 2000 };

describe('simulator: a source writer that rides through a restart', () => {
  it('writes the batch again on a fresh connection after the connection was lost', async () => {
    const written: string[] = [];
    const first = new ScriptedWriter([withCode('terminating connection', '57P01')], written, 'first');
    const opened: ScriptedWriter[] = [];
    const notices: RetryNotice[] = [];
    const writer = new RetryingWriter(
      first,
      () => {
        // The server is still down for the first reopen.
        if (opened.length === 0) {
          opened.push(first);
          return Promise.reject(withCode('connect ECONNREFUSED 127.0.0.1:15432', 'ECONNREFUSED'));
        }
        const w = new ScriptedWriter([], written, 'second');
        opened.push(w);
        return Promise.resolve(w);
      },
      { ...fast, onRetry: (n) => notices.push(n) },
    );
    await writer.write(batch);
    expect(written).to.deep.equal(['second']);
    expect(first.closed).to.equal(true);
    expect(notices.map((n) => n.attempt)).to.deep.equal([1, 2]);
  });

  it('takes a duplicate key on the retry as the earlier attempt having committed', async () => {
    const written: string[] = [];
    const first = new ScriptedWriter([new Error('Connection terminated unexpectedly')], written, 'first');
    const writer = new RetryingWriter(
      first,
      () =>
        Promise.resolve(
          new ScriptedWriter(
            [withCode('duplicate key value violates unique constraint', '23505')],
            written,
            'again',
          ),
        ),
      fast,
    );
    await writer.write(batch);
    expect(written).to.deep.equal([]);
  });

  it('a duplicate key on the first attempt is a failure, as is any error a retry cannot heal', async () => {
    const dup = new RetryingWriter(
      new ScriptedWriter([withCode('duplicate key', '23505')], [], 'x'),
      () => Promise.reject(new Error('must not reopen')),
      fast,
    );
    try {
      await dup.write(batch);
      expect.fail('a duplicate key on the first attempt was accepted');
    } catch (e) {
      expect((e as Error).message).to.contain('duplicate key');
    }
  });

  it('gives up once the outage lasts longer than allowed', async () => {
    const refused = withCode('connect ECONNREFUSED', 'ECONNREFUSED');
    const writer = new RetryingWriter(new ScriptedWriter([refused], [], 'x'), () => Promise.reject(refused), {
      minDelayMs: 5,
      maxDelayMs: 10,
      maxOutageMs: 60,
    });
    try {
      await writer.write(batch);
      expect.fail('kept retrying');
    } catch (e) {
      expect((e as Error).message).to.contain('ECONNREFUSED');
    }
  });

  it('classifies: lost connections, servers starting or stopping and Kafka outages are transient', () => {
    expect(isTransientWriteError(withCode('x', 'PROTOCOL_CONNECTION_LOST'))).to.equal(true);
    expect(isTransientWriteError(withCode('the database system is starting up', '57P03'))).to.equal(true);
    const kafka = Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
    });
    expect(isTransientWriteError(new Error('writing failed', { cause: kafka }))).to.equal(true);
    const tooLarge = Object.assign(new Error('too large'), {
      name: 'KafkaJSProtocolError',
      retriable: false,
    });
    expect(isTransientWriteError(tooLarge)).to.equal(false);
    expect(isTransientWriteError(withCode('value too long', '22001'))).to.equal(false);
    const lost = Object.assign(
      new Error('basic.publish on WH.STOCK.MOVES failed: channel closed by the broker'),
      {
        name: 'QueueTransportError',
        retriable: true,
      },
    );
    expect(isTransientWriteError(lost)).to.equal(true);
    expect(isTransientWriteError(Object.assign(lost, { retriable: false }))).to.equal(false);
  });
});
