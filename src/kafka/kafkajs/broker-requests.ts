/**
 * Requests the adapter writes itself and sends through a kafkajs Broker (its connection, its
 * correlation ids, its SASL and TLS): versions kafkajs 2.2.4 does not have. Every assumption about
 * kafkajs' Broker is checked where it is first used; a mismatch is a KafkaClientMismatchError.
 */
import { createRequire } from 'node:module';
import { TributaryError } from '../../errors.ts';
import { KafkaClientMismatchError } from './fetch-rewrite.ts';

/** kafkajs' table of protocol errors: a refusal becomes the error kafkajs itself would raise. */
const protocolErrors = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): Error & { type?: string };
};

/** The error kafkajs raises for a protocol error code (with its `type`, e.g. ILLEGAL_GENERATION). */
export function protocolError(code: number): Error & { type?: string } {
  return protocolErrors.createErrorFromCode(code);
}

/** The error of the first partition an answer refused, if any (answers that say per partition). */
export function partitionError(
  topics: readonly { partitions: readonly { errorCode: number }[] }[],
): (Error & { type?: string }) | undefined {
  for (const { partitions } of topics)
    for (const { errorCode } of partitions) if (errorCode !== 0) return protocolError(errorCode);
  return undefined;
}

/** One flexible request version: its body, and its response after the correlation id. */
export interface FlexibleRequest<Result> {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly apiName: string;
  /** The request's body (after the request header v2). */
  readonly body: () => Buffer;
  /** The response's body (after the response header v1's tagged fields). */
  readonly decode: (reader: Buffer) => Result & { throttleTimeMs: number };
  /** The error the answer carries, if any (`protocolError`). */
  readonly failure: (result: Result) => Error | undefined;
}

type Send = (protocol: unknown) => Promise<unknown>;

/**
 * Sends `request` through `broker` once the broker supports its version (`apiVersion` at most the
 * broker's highest, as kafkajs' `lookupRequest` computes it; else a fatal TributaryError naming what is
 * needed). Returns the decoded answer, or fails with kafkajs' protocol error.
 */
export function sendThrough(
  broker: object,
): <Result>(request: FlexibleRequest<Result>, needs: string) => Promise<Result> {
  const send = privateSend(broker);
  return (request, needs) => {
    const lookup = (broker as { lookupRequest?: unknown }).lookupRequest;
    if (typeof lookup !== 'function')
      throw new KafkaClientMismatchError('its Broker has no lookupRequest function');
    const definition = {
      versions: [String(request.apiVersion)],
      protocol:
        ({ version }: { version: number }) =>
        () => {
          if (version !== request.apiVersion)
            throw new TributaryError(
              'TRIB_KAFKA',
              `the broker supports ${request.apiName} up to version ${version}; ${needs} needs version ${request.apiVersion}`,
            );
          return protocol(request);
        },
    };
    const build = (lookup as (apiKey: number, d: typeof definition) => () => unknown).call(
      broker,
      request.apiKey,
      definition,
    );
    return send(build()) as Promise<never>;
  };
}

/**
 * The request as kafkajs' connection sends it: `encode` returns what kafkajs' Encoder takes in
 * `writeEncoder` (an object with `buf` and `buffer`), starting with the request header's tagged fields
 * (kafkajs writes the header up to the client id only, as its own flexible requests do); the response
 * kafkajs hands over starts after the correlation id, with the response header's tagged fields.
 */
function protocol<Result>(request: FlexibleRequest<Result>) {
  return {
    request: {
      apiKey: request.apiKey,
      apiVersion: request.apiVersion,
      apiName: request.apiName,
      encode: () => {
        const bytes = Buffer.concat([Buffer.from([0]), request.body()]);
        return Promise.resolve({ buf: bytes, buffer: bytes });
      },
    },
    response: {
      decode: (payload: Buffer) => {
        const result = request.decode(payload);
        // KIP-219: the broker answers before throttling; the client waits instead.
        return Promise.resolve({ ...result, throttleTime: 0, clientSideThrottleTime: result.throttleTimeMs });
      },
      parse: (result: Result) => {
        const failure = request.failure(result);
        return failure ? Promise.reject(failure) : Promise.resolve(result);
      },
    },
  };
}

/** kafkajs' Broker sends every request through a private method, named by a symbol on its prototype. */
function privateSend(broker: object): Send {
  const prototype = Object.getPrototypeOf(broker) as Record<symbol, unknown> | null;
  const symbol = prototype
    ? Object.getOwnPropertySymbols(prototype).find((s) => s.description === 'private:Broker:sendRequest')
    : undefined;
  const send = symbol === undefined ? undefined : prototype?.[symbol];
  if (typeof send !== 'function')
    throw new KafkaClientMismatchError('its Broker has no private sendRequest method');
  return (request) => (send as Send).call(broker, request);
}
