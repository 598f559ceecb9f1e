import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HttpError,
  Serdes,
  defineApp,
  json,
  QueryUnavailableError,
  type AppHttp,
  type AppHttpContext,
  type KeyValueStore,
  type ValueAndTimestamp,
} from 'tributary';
import { QueryServer } from '../../src/worker/server.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { events, queryTopology, type Event } from './fixtures/topology.ts';
import {
  FakeRunner,
  fakePort,
  getJson,
  startCluster,
  stopCluster,
  storeFor,
  type FakeWorker,
} from './harness.ts';

const PARTITIONS = 4;
const long = Serdes.Long();
const partitionOf = (key: number) => partitionForKey(long.serialize(key), PARTITIONS);
const tasks = [{ active: ['0_0', '0_1'] }, { active: ['0_2', '0_3'] }];
const keyOnA = [1, 2, 3, 4, 5, 6, 7, 8].find((k) => partitionOf(k) < 2)!;
const keyOnB = [1, 2, 3, 4, 5, 6, 7, 8].find((k) => partitionOf(k) >= 2)!;

const http: AppHttp = (routes, context) => {
  const latest = context.store<number, Event>('latest');
  routes.post('/v1/events/:user', async (request) => {
    const body = (await request.json()) as Partial<Event>;
    if (typeof body.n !== 'number') throw new HttpError(400, 'n: expected a number');
    const sent = await context.send(events, Number(request.params.user), { n: body.n });
    return json(201, sent, { location: `/v1/events/${request.params.user}` });
  });
  routes.get('/v1/events/:user', async (request) =>
    json(
      200,
      await latest.waitFor(
        Number(request.params.user),
        (event) => event !== undefined && event.n >= Number(request.query.get('n') ?? 0),
        Number(request.query.get('timeout') ?? 2000),
        { signal: request.signal },
      ),
    ),
  );
  routes.get('/v1/latest/:user', async (request) => {
    const value = await latest.get(Number(request.params.user));
    return value === undefined ? json(404, { error: 'none yet' }) : json(200, value);
  });
  routes.get('/v1/events/recent', () => json(200, 'the literal route wins over /v1/events/:user'));
};

let workers: FakeWorker[];
let a: FakeWorker;
let b: FakeWorker;

function latest(key: number): KeyValueStore<number, ValueAndTimestamp<Event>> {
  return storeFor(workers, 'latest', long.serialize(key), PARTITIONS);
}

const postJson = (url: string, body: string | undefined) =>
  getJson(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

function put(key: number, n: number): void {
  latest(key).put(key, { value: { n }, timestamp: n });
}

beforeAll(async () => {
  workers = await startCluster({
    applicationId: 'app-http',
    topology: queryTopology,
    partitions: PARTITIONS,
    tasks,
    http,
  });
  [a, b] = workers as [FakeWorker, FakeWorker];
});

afterAll(async () => {
  await stopCluster(workers);
});

describe('application routes', () => {
  it('send records through the typed producer, partitioned by key as the default partitioner does', async () => {
    const response = await postJson(`${b.url}/v1/events/${keyOnA}`, JSON.stringify({ n: 5 }));
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/v1/events/${keyOnA}`);
    expect(response.body).toEqual({ topic: 'events', partition: partitionOf(keyOnA), offset: '0' });
    const [record] = b.port.sent;
    expect(record).toMatchObject({ topic: 'events', partition: partitionOf(keyOnA), headers: {} });
    expect(long.deserialize(record!.key!)).toBe(keyOnA);
    expect(JSON.parse(Buffer.from(record!.value!).toString())).toEqual({ n: 5 });
  });

  it('answer bad bodies with 400 and a message', async () => {
    const notJson = await postJson(`${a.url}/v1/events/1`, '{n:');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/^the body is not valid JSON: /);
    const empty = await postJson(`${a.url}/v1/events/1`, undefined);
    expect(empty.body).toEqual({ error: 'the request needs a JSON body' });
    const wrong = await postJson(`${a.url}/v1/events/1`, '{"n":"x"}');
    expect(wrong).toMatchObject({ status: 400, body: { error: 'n: expected a number' } });
  });

  it('prefer literal path segments to parameters', async () => {
    expect((await getJson(`${a.url}/v1/events/recent`)).body).toBe(
      'the literal route wins over /v1/events/:user',
    );
  });

  it('read keys wherever they live', async () => {
    put(keyOnA, 1);
    put(keyOnB, 2);
    for (const worker of workers) {
      expect((await getJson(`${worker.url}/v1/latest/${keyOnA}`)).body).toEqual({ n: 1 });
      expect((await getJson(`${worker.url}/v1/latest/${keyOnB}`)).body).toEqual({ n: 2 });
      expect((await getJson(`${worker.url}/v1/latest/999`)).status).toBe(404);
    }
  });

  it('long-poll until an update satisfies the condition, locally and at another worker', async () => {
    put(keyOnA, 1);
    put(keyOnB, 1);
    const local = getJson(`${a.url}/v1/events/${keyOnA}?n=3`);
    const remote = getJson(`${a.url}/v1/events/${keyOnB}?n=3`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    put(keyOnA, 2);
    put(keyOnB, 2);
    put(keyOnA, 3);
    put(keyOnB, 4);
    expect(await local).toMatchObject({ status: 200, body: { n: 3 } });
    expect(await remote).toMatchObject({ status: 200, body: { n: 4 } });
  });

  it('answer a wait that is already satisfied at once, even with a timeout of 0', async () => {
    put(keyOnB, 7);
    for (const worker of workers)
      expect(await getJson(`${worker.url}/v1/events/${keyOnB}?n=7&timeout=0`)).toMatchObject({
        status: 200,
        body: { n: 7 },
      });
  });

  it('answer 504 when the wait times out', async () => {
    for (const key of [keyOnA, keyOnB]) {
      const started = Date.now();
      const response = await getJson(`${a.url}/v1/events/${key}?n=1000&timeout=300`);
      expect(response.status).toBe(504);
      expect(response.body.error).toBe(
        `key "${key}" of store "latest" did not reach the awaited state within 300 ms`,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    }
  });

  it('never miss an update that lands right after the read (the wait subscribes first)', async () => {
    for (const key of [keyOnA, keyOnB]) {
      put(key, 1);
      // The update lands while the owner reads the current value: after the read, before any wait.
      const store = latest(key);
      const get = store.get.bind(store);
      store.get = (k) => {
        const current = get(k);
        store.get = get;
        put(key, 50);
        return current;
      };
      const response = await getJson(`${a.url}/v1/events/${key}?n=50&timeout=1000`);
      expect(response).toMatchObject({ status: 200, body: { n: 50 } });
    }
  });

  it('keep waiting through a rebalance instead of failing', async () => {
    put(keyOnB, 1);
    a.runner.state = 'rebalancing';
    const waiting = getJson(`${a.url}/v1/events/${keyOnB}?n=8&timeout=3000`);
    await new Promise((resolve) => setTimeout(resolve, 400));
    a.runner.state = 'running';
    await new Promise((resolve) => setTimeout(resolve, 300));
    put(keyOnB, 8);
    expect(await waiting).toMatchObject({ status: 200, body: { n: 8 } });
  });

  it('say 503 for a plain read while the key cannot be read', async () => {
    b.runner.state = 'rebalancing';
    try {
      const response = await getJson(`${a.url}/v1/latest/${keyOnB}`);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
    } finally {
      b.runner.state = 'running';
    }
  });
});

describe('defining application routes', () => {
  const start = (appHttp: AppHttp) =>
    new QueryServer({
      runners: [new FakeRunner('checked', queryTopology(), 1).asRunner],
      applications: [{ applicationId: 'checked', http: appHttp }],
      http: { host: '127.0.0.1', port: 0, advertised: '127.0.0.1:1' },
      port: fakePort(1),
      clientId: 'test',
      logger: silentLogger,
    });

  it('refuses unknown stores, paths of the worker, and routes defined twice', () => {
    expect(() => start((_routes, context) => void context.store('nope'))).toThrow(
      'application "checked" has no store "nope"; its stores: latest, minute-counts, sessions, names',
    );
    expect(() => start((_routes, context) => void context.store('sessions'))).toThrow(
      'store "sessions" of application "checked" is a session store; store clients read key-value stores',
    );
    expect(() => start((routes) => routes.get('/stores/mine', () => json(200, {})))).toThrow(
      'application "checked" defines GET /stores/mine, but /stores, /metadata, /metrics, /health, /console belong to the worker',
    );
    expect(() =>
      start((routes) => {
        routes.get('/a/:x', () => json(200, {}));
        routes.get('/a/:y', () => json(200, {}));
      }),
    ).toThrow('route GET /a/:y is defined twice');
  });

  it('leaves the routes to the workers: defineApp only checks that http is a function', () => {
    const topology = () => undefined;
    expect(() => defineApp({ applicationId: 'x', topology, http: 'no' as never })).toThrow(
      'x: http must be a function that adds routes: http: (routes, context) => { routes.get(...) }',
    );
    expect(defineApp({ applicationId: 'x', topology, http }).http).toBe(http);
  });
});

describe('stopping a worker', () => {
  it('ends the long polls it runs at once (503), instead of holding the process until their timeouts', async () => {
    let context: AppHttpContext | undefined;
    const [worker] = await startCluster({
      applicationId: 'stopping',
      topology: queryTopology,
      partitions: 1,
      tasks: [{ active: ['0_0'] }],
      http: (_routes, c) => void (context = c),
    });
    try {
      const waiting = context!.store<number, Event>('latest').waitFor(1, () => false, 60_000);
      const started = Date.now();
      await worker!.server.stop();
      await expect(waiting).rejects.toThrow(QueryUnavailableError);
      await expect(waiting).rejects.toThrow('this worker is stopping; ask another one');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await worker!.runner.close();
    }
  });
});

describe('renamed topics', () => {
  it('send to the topic names the topology was built with', async () => {
    const [worker] = await startCluster({
      applicationId: 'renamed',
      topology: queryTopology,
      partitions: 1,
      tasks: [{ active: ['0_0'] }],
      http,
      renameTopic: (name) => `staging.${name}`,
    });
    try {
      const response = await postJson(`${worker!.url}/v1/events/3`, '{"n":1}');
      expect(response.body).toMatchObject({ topic: 'staging.events' });
      expect(worker!.port.sent.map((r) => r.topic)).toEqual(['staging.events']);
    } finally {
      await stopCluster([worker!]);
    }
  });
});
