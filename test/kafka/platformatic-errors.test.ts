import {
  MultipleErrors,
  NetworkError,
  ProtocolError,
  ResponseError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import { platformaticError, platformaticErrorKind } from '../../src/kafka/platformatic/errors.ts';

/** A connection refused by a broker that is down, as the library reports it. */
function refused(): Error {
  const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
  return new NetworkError('Connection to 127.0.0.1:9092 failed.', { cause: socket });
}

/** A retried operation whose every attempt failed the same way. */
function attempts(operation: string, errors: Error[]): Error {
  return new MultipleErrors(`${operation} failed ${errors.length} times.`, errors);
}

/** A response whose entries were answered with these error codes. */
function response(...codes: number[]): Error {
  return new ResponseError(
    1,
    12,
    Object.fromEntries(codes.map((code, i) => [`/responses/0/partitions/${i}`, [code, null]])),
    {},
  );
}

describe("@platformatic/kafka's errors, classified as Kafka Streams does", () => {
  it.each([
    ['CONCURRENT_TRANSACTIONS', 51],
    ['NOT_COORDINATOR', 16],
    ['COORDINATOR_LOAD_IN_PROGRESS', 14],
    ['COORDINATOR_NOT_AVAILABLE', 15],
    ['NOT_LEADER_OR_FOLLOWER', 6],
    ['LEADER_NOT_AVAILABLE', 5],
    ['REQUEST_TIMED_OUT', 7],
    ['NOT_ENOUGH_REPLICAS', 19],
  ])('%s (a broker restarting, a coordinator moving) is retriable', (_name, code) => {
    expect(platformaticErrorKind(new ProtocolError(code))).toBe('retriable');
    expect(platformaticErrorKind(response(code))).toBe('retriable');
  });

  it('a broker that is down (connection refused, closed, timed out) is retriable, also after the retries ran out', () => {
    expect(platformaticErrorKind(refused())).toBe('retriable');
    expect(platformaticErrorKind(new NetworkError('Connection closed'))).toBe('retriable');
    expect(platformaticErrorKind(new TimeoutError('Request timed out'))).toBe('retriable');
    expect(platformaticErrorKind(attempts('metadata', [refused(), refused(), refused()]))).toBe('retriable');
    // Every broker of the bootstrap list refused, and the retries ran out.
    expect(platformaticErrorKind(attempts('produce', [attempts('connect', [refused(), refused()])]))).toBe(
      'retriable',
    );
  });

  it.each([
    ['TOPIC_AUTHORIZATION_FAILED', 29],
    ['GROUP_AUTHORIZATION_FAILED', 30],
    ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53],
    ['MESSAGE_TOO_LARGE', 10],
    ['INVALID_REQUEST', 42],
  ])('%s is fatal', (_name, code) => {
    expect(platformaticErrorKind(new ProtocolError(code))).toBe('fatal');
  });

  it('a response is retriable only when every failed entry is: one refused partition makes it fatal', () => {
    expect(platformaticErrorKind(response(6, 6))).toBe('retriable');
    expect(platformaticErrorKind(response(6, 29))).toBe('fatal');
  });

  it('a client closed while it retried is not retried again', () => {
    const closed = new NetworkError('Client is closed.', { canRetry: false, closed: true });
    expect(platformaticErrorKind(closed)).toBe('fatal');
    expect(
      platformaticErrorKind(
        attempts('produce', [refused(), new UserError('Client closed while retrying produce.')]),
      ),
    ).toBe('fatal');
  });

  it.each([
    ['PRODUCER_FENCED', 90],
    ['INVALID_PRODUCER_EPOCH', 47],
  ])('a fenced producer (%s) is task-migrated', (_name, code) => {
    expect(platformaticErrorKind(new ProtocolError(code))).toBe('task-migrated');
    expect(platformaticErrorKind(attempts('commit', [new ProtocolError(code)]))).toBe('task-migrated');
  });

  it('errors that are not the library’s are fatal; a TributaryError keeps its kind', () => {
    expect(platformaticErrorKind(new Error('a bug'))).toBe('fatal');
    expect(platformaticErrorKind(new TributaryError('TRIB_KAFKA', 'passing', { retriable: true }))).toBe(
      'retriable',
    );
  });

  it('the classified error says what was being done, Kafka’s answer, and the reason at the bottom', () => {
    const error = platformaticError(
      attempts('produce', [response(6), response(6)]),
      'sending records to "counts" partition 3',
    );
    expect(error).toBeInstanceOf(TributaryError);
    expect(error.kind).toBe('retriable');
    expect(error.message).toMatch(
      /^sending records to "counts" partition 3 failed \(NOT_LEADER_OR_FOLLOWER\): /,
    );
    expect(platformaticError(refused(), 'fetching "words"').message).toBe(
      'fetching "words" failed: connect ECONNREFUSED 127.0.0.1:9092',
    );
    // The kind can be chosen: inside a transaction, a passing failure aborts it.
    expect(platformaticError(refused(), 'committing', 'abortable').kind).toBe('abortable');
  });
});
