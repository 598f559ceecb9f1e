import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import { kafkajsError, kafkajsErrorKind } from '../../src/kafka/kafkajs/errors.ts';

// kafkajs' typings leave out the constructors' real arguments (an error description, options).
const ProtocolError = KafkaJSProtocolError as unknown as new (e: object) => Error;
const NonRetriableError = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
const PlainError = KafkaJSError as unknown as new (e: Error) => Error;
const RetriesExceeded = KafkaJSNumberOfRetriesExceeded as unknown as new (
  e: Error,
  o: { retryCount: number; retryTime: number; cause?: Error },
) => Error;
const ConnectionError = KafkaJSConnectionError as unknown as new (
  message: string,
  o: { broker: string; code: string },
) => Error;

/** A broker's answer as kafkajs' retrier hands it on once its own retries ran out. */
function answer(type: string, code: number, message = type): Error {
  const protocol = new ProtocolError({ type, code, retriable: true, message });
  return new NonRetriableError(protocol, { cause: protocol });
}

describe("kafkajs' errors, classified as Kafka Streams does", () => {
  it.each([
    ['CONCURRENT_TRANSACTIONS', 51],
    ['NOT_COORDINATOR', 16],
    ['COORDINATOR_LOAD_IN_PROGRESS', 14],
    ['COORDINATOR_NOT_AVAILABLE', 15],
    ['NOT_LEADER_OR_FOLLOWER', 6],
    ['REQUEST_TIMED_OUT', 7],
  ])('%s (a broker restarting, a coordinator moving) is retriable', (type, code) => {
    expect(kafkajsErrorKind(answer(type, code))).toBe('retriable');
  });

  it('NOT_COORDINATOR answering a join (a coordinator restarting) is retriable, though kafkajs drops its type', () => {
    // kafkajs' consumer group wraps a rebalance answer to its join in a plain KafkaJSError (its
    // message, not its type) so that its retrier joins again; once the retries run out, that is what
    // the consumer crashes with.
    const answer = new ProtocolError({
      type: 'NOT_COORDINATOR_FOR_GROUP',
      code: 16,
      retriable: false,
      message: 'This is not the correct coordinator for this group',
    });
    const wrapped = new PlainError(answer);
    const crash = new RetriesExceeded(wrapped, { retryCount: 5, retryTime: 3000, cause: wrapped });
    expect(kafkajsErrorKind(crash)).toBe('retriable');
  });

  it('a refused connection (the broker is down for a restart) is retriable', () => {
    const refused = new ConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
      broker: '127.0.0.1:9092',
      code: 'ECONNREFUSED',
    });
    expect(kafkajsErrorKind(refused)).toBe('retriable');
  });

  it('a fenced producer means the task migrated, also as the code kafkajs cannot name', () => {
    expect(kafkajsErrorKind(answer('INVALID_PRODUCER_EPOCH', 47))).toBe('task-migrated');
    expect(kafkajsErrorKind(new Error('Unknown error code 90'))).toBe('task-migrated');
  });

  it('authorization, oversized records and whatever is unknown are fatal', () => {
    expect(kafkajsErrorKind(answer('TOPIC_AUTHORIZATION_FAILED', 29))).toBe('fatal');
    expect(kafkajsErrorKind(answer('MESSAGE_TOO_LARGE', 10))).toBe('fatal');
    expect(kafkajsErrorKind(new Error('something else'))).toBe('fatal');
  });

  it('wraps the error saying what was being done, with the broker’s answer and the innermost message', () => {
    const error = kafkajsError(
      answer(
        'CONCURRENT_TRANSACTIONS',
        51,
        'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
      ),
      'committing a transaction (producer "app-0_1")',
    );
    expect(error).toBeInstanceOf(TributaryError);
    expect(error.retriable).toBe(true);
    expect(error.message).toBe(
      'committing a transaction (producer "app-0_1") failed (CONCURRENT_TRANSACTIONS): The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
    );
  });

  it('keeps a TributaryError of the same kind as it is', () => {
    const own = new TributaryError('TRIB_KAFKA', 'x', { retriable: true });
    expect(kafkajsError(own, 'doing')).toBe(own);
  });
});
