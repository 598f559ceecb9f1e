/**
 * What the worker's HTTP server refuses before a route decides anything: bodies over the limit,
 * bodies that are not JSON, headers over the limit, bytes that are not HTTP. Each refusal is a JSON
 * `{ "error": ... }` like every other, and it reaches the client: the connection closes after it, not
 * before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, json, type AppHttp } from 'tributary';
import { MAX_BODY_BYTES } from '../../src/http/body.ts';
import { queryTopology } from './fixtures/topology.ts';
import { getJson, startCluster, stopCluster, type FakeWorker } from './harness.ts';
import { rawExchange } from './support/raw-http.ts';

const http: AppHttp = (routes) => {
  routes.post('/v1/echo', async (request) => {
    const body = (await request.json()) as { n?: unknown };
    if (typeof body.n !== 'number') throw new HttpError(400, 'n: expected a number');
    return json(200, body);
  });
};

let worker: FakeWorker;

beforeAll(async () => {
  [worker] = (await startCluster({
    applicationId: 'refusals',
    topology: queryTopology,
    partitions: 1,
    tasks: [{ active: ['0_0'] }],
    http,
  })) as [FakeWorker];
});

afterAll(async () => {
  await stopCluster([worker]);
});

const tooLarge = { error: `the body is larger than ${MAX_BODY_BYTES} bytes` };
const postHead = (headers: string) =>
  `POST /v1/echo HTTP/1.1\r\nHost: test\r\ncontent-type: application/json\r\n${headers}\r\n`;

describe('a body over the limit', () => {
  it('is answered 413 with a JSON error once the client has sent it, then the connection closes cleanly', async () => {
    const size = 5 * MAX_BODY_BYTES;
    const exchange = await rawExchange(worker.url, postHead(`content-length: ${size}\r\n`), {
      bodyBytes: size,
    });
    expect(exchange.error).toBeUndefined();
    expect(exchange.status).toBe(413);
    expect(JSON.parse(exchange.body)).toEqual(tooLarge);
    expect(exchange.received).toMatch(/\r\nconnection: close\r\n/i);
    expect(exchange.closedCleanly).toBe(true);
  });

  it('is refused the same way when it comes chunked, without a length', async () => {
    const exchange = await rawExchange(worker.url, postHead('transfer-encoding: chunked\r\n'), {
      bodyBytes: 3 * MAX_BODY_BYTES,
      chunked: true,
    });
    expect(exchange).toMatchObject({ status: 413, closedCleanly: true });
    expect(JSON.parse(exchange.body)).toEqual(tooLarge);
  });

  it('is refused before it is sent when the client asks first (Expect: 100-continue)', async () => {
    const exchange = await rawExchange(
      worker.url,
      postHead(`content-length: ${10 * MAX_BODY_BYTES}\r\nexpect: 100-continue\r\n`),
    );
    expect(exchange.received).not.toContain('100 Continue');
    expect(exchange).toMatchObject({ status: 413, closedCleanly: true });
    expect(JSON.parse(exchange.body)).toEqual(tooLarge);
  });

  it('lets a body within the limit through, also after "100 Continue"', async () => {
    const body = JSON.stringify({ n: 1, pad: 'x'.repeat(MAX_BODY_BYTES - 100) });
    const exchange = await rawExchange(
      worker.url,
      postHead(`content-length: ${body.length}\r\nexpect: 100-continue\r\nconnection: close\r\n`) + body,
    );
    expect(exchange.received).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    expect(exchange.status).toBe(200);
  });
});

describe('a body that is not declared JSON', () => {
  it.each([
    [
      { 'content-type': 'text/plain' },
      'the body must be content-type application/json (UTF-8), got "text/plain"',
    ],
    [
      { 'content-type': 'application/x-www-form-urlencoded' },
      'the body must be content-type application/json (UTF-8), got "application/x-www-form-urlencoded"',
    ],
    [
      { 'content-type': 'application/json; charset=latin1' },
      'the body must be content-type application/json (UTF-8), got "application/json; charset=latin1"',
    ],
    [{}, 'the body needs the header content-type: application/json'],
  ])('is refused with 415 (%j)', async (headers, error) => {
    const response = await getJson(`${worker.url}/v1/echo`, {
      method: 'POST',
      headers,
      body: new TextEncoder().encode('{"n":1}'),
    });
    expect(response).toMatchObject({ status: 415, body: { error } });
  });

  it.each(['application/json', 'application/json; charset=UTF-8', 'application/merge-patch+json'])(
    'is taken as %s',
    async (type) => {
      const response = await getJson(`${worker.url}/v1/echo`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: '{"n":2}',
      });
      expect(response).toMatchObject({ status: 200, body: { n: 2 } });
    },
  );
});

describe('requests the HTTP parser refuses', () => {
  it('answers headers over the limit with 431 and a JSON error, then closes cleanly', async () => {
    const exchange = await rawExchange(
      worker.url,
      `GET /stores HTTP/1.1\r\nHost: test\r\nx-big: ${'a'.repeat(200_000)}\r\n\r\n`,
    );
    expect(exchange.status).toBe(431);
    expect(JSON.parse(exchange.body)).toEqual({
      error: "the request's headers are larger than 16384 bytes",
    });
    expect(exchange.received).toMatch(/\r\ncontent-type: application\/json\r\n/);
    expect(exchange.closedCleanly).toBe(true);
    const response = await getJson(`${worker.url}/stores`, { headers: { 'x-big': 'a'.repeat(100_000) } });
    expect(response).toMatchObject({ status: 431, body: { error: expect.stringContaining('headers') } });
  });

  it('answers bytes that are not HTTP with 400 and a JSON error', async () => {
    const exchange = await rawExchange(worker.url, 'HELLO THERE\r\n\r\n');
    expect(exchange.status).toBe(400);
    expect(JSON.parse(exchange.body).error).toMatch(/^the request is not valid HTTP\/1\.1: /);
    expect(exchange.closedCleanly).toBe(true);
  });
});

describe('every refusal', () => {
  it.each([
    ['GET', '/nothing', 404],
    ['DELETE', '/stores', 405],
    ['POST', '/v1/echo', 400],
    ['GET', '/stores/latest?limit=1&limit=2', 400],
    ['GET', '/stores/nope', 404],
  ])('%s %s → %i is a JSON error', async (method, path, status) => {
    const response = await fetch(`${worker.url}${path}`, {
      method,
      ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{"n":"x"}' } : {}),
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['error']);
    expect(typeof body.error).toBe('string');
  });
});
