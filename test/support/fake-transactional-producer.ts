// A Kafka of transactional producers in memory, for the MQ replicator's unit tests: what the
// TransactionalProducer port promises (src/kafka/port.ts), and the failures a test needs.
import { ProducerFencedError, RemoteError } from '../../src/errors.js';
import type { OutgoingRecord, SourceTransaction, TransactionalProducer } from '../../src/kafka/port.js';

/** One failure to inject into the next commit. */
export type CommitFailure =
  /** The commit fails and nothing of the transaction is kept (aborted). */
  | 'fails'
  /** The commit goes through, but the producer reports a failure (a lost response). */
  | 'commits-then-fails';

/**
 * Committed records per topic (what a read_committed consumer sees) and each source's last
 * position. A producer of a transactional id fences every earlier one of the same id; an
 * earlier one's transaction never commits (as Kafka aborts it).
 */
export class FakeKafka {
  /** Committed records, in commit order. */
  readonly committed: OutgoingRecord[] = [];
  readonly positions = new Map<string, Buffer>();
  readonly #epochs = new Map<string, number>();
  /** Failures the next commits meet, first first. */
  readonly commitFailures: CommitFailure[] = [];
  transactions = 0;

  topic(topic: string): OutgoingRecord[] {
    return this.committed.filter((r) => r.topic === topic);
  }

  /** A new instance of the producer of `transactionalId` (fences the one before). */
  producer(transactionalId: string, source: string): Promise<TransactionalProducer> {
    const epoch = (this.#epochs.get(transactionalId) ?? 0) + 1;
    this.#epochs.set(transactionalId, epoch);
    const fenced = () => this.#epochs.get(transactionalId) !== epoch;
    const check = () => {
      if (fenced())
        throw new ProducerFencedError(`${transactionalId} was fenced`, { transactionalId, source });
    };
    let open = false;
    /** Applies the next injected failure; keeps the transaction unless it is 'fails'. */
    const commitOne = (pending: OutgoingRecord[], position: Buffer | string): Promise<void> => {
      const failure = this.commitFailures.shift();
      if (failure !== 'fails') {
        this.committed.push(...pending);
        this.positions.set(source, Buffer.from(position));
        this.transactions++;
      }
      if (failure !== undefined)
        return Promise.reject(new RemoteError(`commit of ${transactionalId}: ${failure}`, {}));
      return Promise.resolve();
    };
    return Promise.resolve({
      startPosition: this.positions.get(source) ?? null,
      begin(): Promise<SourceTransaction> {
        check();
        if (open) throw new Error('one transaction at a time');
        open = true;
        const pending: OutgoingRecord[] = [];
        return Promise.resolve({
          send(records) {
            check();
            pending.push(...records.map((r) => ({ ...r })));
            return Promise.resolve();
          },
          commit(position) {
            open = false;
            check();
            return commitOne(pending, position);
          },
          abort() {
            open = false;
            return Promise.resolve();
          },
        });
      },
      close: () => Promise.resolve(),
    });
  }
}
