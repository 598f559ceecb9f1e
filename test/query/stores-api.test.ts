import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Serdes,
  type KeyValueStore,
  type SessionStore,
  type ValueAndTimestamp,
  type WindowStore,
} from 'tributary';
import { HOP_HEADER } from '../../src/query/peer-client.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { queryTopology, type Event } from './fixtures/topology.ts';
import { getJson, reassign, startCluster, stopCluster, storeFor, type FakeWorker } from './harness.ts';

const PARTITIONS = 4;
const long = Serdes.Long();
const partitionOf = (key: number) => partitionForKey(long.serialize(key), PARTITIONS);
const tasks = [
  { active: ['0_0', '0_1'], standby: ['0_2', '0_3'] },
  { active: ['0_2', '0_3'], standby: ['0_0', '0_1'] },
];

let workers: FakeWorker[];
let a: FakeWorker;
let b: FakeWorker;

function latest(key: number): KeyValueStore<number, ValueAndTimestamp<Event>> {
  return storeFor(workers, 'latest', long.serialize(key), PARTITIONS);
}

/** Writes keys 1-20 to their owners, and a value one behind to the standby copies on A. */
function fillLatest(): void {
  for (let key = 1; key <= 20; key++) {
    latest(key).put(key, { value: { n: key * 10 }, timestamp: 1000 + key });
    const standby = a.runner.standbyTasks.get(`0_${partitionOf(key)}`)?.stores.get('latest')?.store;
    (standby as KeyValueStore<number, ValueAndTimestamp<Event>> | undefined)?.put(key, {
      value: { n: key * 10 - 1 },
      timestamp: 1000,
    });
  }
}

beforeAll(async () => {
  workers = await startCluster({
    applicationId: 'stores-app',
    topology: queryTopology,
    partitions: PARTITIONS,
    tasks,
  });
  [a, b] = workers as [FakeWorker, FakeWorker];
  fillLatest();
  for (const key of [3, 4]) {
    const windows = storeFor<WindowStore<number, ValueAndTimestamp<number>>>(
      workers,
      'minute-counts',
      long.serialize(key),
      PARTITIONS,
    );
    windows.put(key, { value: key, timestamp: 61_000 }, 60_000);
    const sessions = storeFor<SessionStore<number, number>>(
      workers,
      'sessions',
      long.serialize(key),
      PARTITIONS,
    );
    sessions.put({ key, window: { start: 1000, end: 5000 } }, 2);
  }
  for (const worker of workers) {
    const names = worker.runner.globalStores.get('names')!.store as KeyValueStore<
      string,
      ValueAndTimestamp<string>
    >;
    for (const name of ['apple', 'apricot', 'banana'])
      names.put(name, { value: name.toUpperCase(), timestamp: 5 });
  }
});

afterAll(async () => {
  await stopCluster(workers);
});

describe('the store endpoints', () => {
  it('lists the stores of the applications on the worker', async () => {
    const { status, body } = await getJson(`${a.url}/stores`);
    expect(status).toBe(200);
    expect(body.endpoint).toBe(a.endpoint);
    expect(body.stores).toEqual([
      {
        name: 'latest',
        application: 'stores-app',
        kind: 'key-value',
        timestamped: true,
        global: false,
        keySerde: 'long',
        valueSerde: 'json',
        partitions: 4,
      },
      {
        name: 'minute-counts',
        application: 'stores-app',
        kind: 'window',
        timestamped: true,
        global: false,
        keySerde: 'long',
        valueSerde: 'long',
        windowSizeMs: 60_000,
        partitions: 4,
      },
      {
        name: 'sessions',
        application: 'stores-app',
        kind: 'session',
        global: false,
        keySerde: 'long',
        valueSerde: 'long',
        partitions: 4,
      },
      {
        name: 'names',
        application: 'stores-app',
        kind: 'key-value',
        timestamped: true,
        global: true,
        keySerde: 'string',
        valueSerde: 'string',
        partitions: 1,
      },
    ]);
  });

  it('answers a key from any worker: locally at its owner, forwarded from the other', async () => {
    for (const key of [1, 2, 5, 7]) {
      const expected = {
        store: 'latest',
        key,
        value: { n: key * 10 },
        timestamp: 1000 + key,
        partition: partitionOf(key),
      };
      const fromA = await getJson(`${a.url}/stores/latest/keys/${key}`);
      const fromB = await getJson(`${b.url}/stores/latest/keys/${key}`);
      expect(fromA).toMatchObject({ status: 200, body: expected });
      expect(fromB).toMatchObject({ status: 200, body: expected });
    }
    // Both workers own some of these keys, so some answers were forwarded.
    expect(new Set([1, 2, 5, 7].map((k) => partitionOf(k) < 2))).toEqual(new Set([true, false]));
  });

  it('says 404 for a key without a value, wherever it is asked', async () => {
    for (const worker of workers) {
      const { status, body } = await getJson(`${worker.url}/stores/latest/keys/999`);
      expect(status).toBe(404);
      expect(body).toEqual({ error: 'no value for key "999" in store "latest"' });
    }
  });

  it('merges ranges from every partition owner in key order, with the limit over the whole', async () => {
    const all = await getJson(`${b.url}/stores/latest`);
    expect(all.status).toBe(200);
    expect(all.body.entries.map((e: { key: number }) => e.key)).toEqual(
      Array.from({ length: 20 }, (_v, i) => i + 1),
    );
    expect(all.body.truncated).toBe(false);
    const range = await getJson(`${a.url}/stores/latest?from=5&to=9`);
    expect(range.body.entries).toEqual(
      [5, 6, 7, 8, 9].map((key) => ({ key, value: { n: key * 10 }, timestamp: 1000 + key })),
    );
    const limited = await getJson(`${a.url}/stores/latest?from=3&limit=4`);
    expect(limited.body).toEqual({
      store: 'latest',
      entries: [3, 4, 5, 6].map((key) => ({ key, value: { n: key * 10 }, timestamp: 1000 + key })),
      truncated: true,
    });
  });

  it('scans prefixes of string keys (here in a global store, answered locally)', async () => {
    const { body } = await getJson(`${a.url}/stores/names?prefix=ap`);
    expect(body.entries).toEqual([
      { key: 'apple', value: 'APPLE', timestamp: 5 },
      { key: 'apricot', value: 'APRICOT', timestamp: 5 },
    ]);
    expect((await getJson(`${b.url}/stores/names/keys/banana`)).body).toMatchObject({ value: 'BANANA' });
  });

  it('answers window stores by key and time range, and across keys', async () => {
    const byKey = await getJson(`${a.url}/stores/minute-counts?key=3&from=60000&to=60000`);
    expect(byKey.status).toBe(200);
    expect(byKey.body).toMatchObject({
      store: 'minute-counts',
      key: 3,
      entries: [{ key: 3, value: 3, timestamp: 61_000, window: { start: 60_000, end: 120_000 } }],
    });
    const later = await getJson(`${b.url}/stores/minute-counts/keys/4?from=1970-01-01T00:01:30Z`);
    expect(later.body.entries).toEqual([]);
    const earlier = await getJson(`${b.url}/stores/minute-counts/keys/4?to=1970-01-01T00:01:00Z`);
    expect(earlier.body.entries).toEqual([
      { key: 4, value: 4, timestamp: 61_000, window: { start: 60_000, end: 120_000 } },
    ]);
    const all = await getJson(`${b.url}/stores/minute-counts?from=0`);
    expect(
      all.body.entries.map((e: { key: number; window: { start: number } }) => [e.key, e.window.start]),
    ).toEqual([
      [3, 60_000],
      [4, 60_000],
    ]);
  });

  it('answers session stores by key and across keys', async () => {
    const byKey = await getJson(`${b.url}/stores/sessions?key=4`);
    expect(byKey.body.entries).toEqual([{ key: 4, value: 2, window: { start: 1000, end: 5000 } }]);
    const all = await getJson(`${a.url}/stores/sessions`);
    expect(all.body.entries.map((e: { key: number }) => e.key)).toEqual([3, 4]);
  });

  it('tells which worker hosts which partition, and where a key lives', async () => {
    const { body } = await getJson(`${a.url}/metadata`);
    const store = body.applications[0].stores.find((s: { name: string }) => s.name === 'latest');
    expect(store.partitions).toEqual([
      { partition: 0, task: '0_0', active: a.endpoint, standby: [b.endpoint] },
      { partition: 1, task: '0_1', active: a.endpoint, standby: [b.endpoint] },
      { partition: 2, task: '0_2', active: b.endpoint, standby: [a.endpoint] },
      { partition: 3, task: '0_3', active: b.endpoint, standby: [a.endpoint] },
    ]);
    const key = await getJson(`${b.url}/metadata?store=latest&key=7`);
    expect(key.body).toEqual({
      store: 'latest',
      application: 'stores-app',
      key: 7,
      partition: partitionOf(7),
      task: `0_${partitionOf(7)}`,
      active: partitionOf(7) < 2 ? a.endpoint : b.endpoint,
      standby: [partitionOf(7) < 2 ? b.endpoint : a.endpoint],
    });
  });
});

describe('bad requests', () => {
  it.each([
    [
      '/stores/nope',
      404,
      'no store "nope" on this worker; known stores: latest, minute-counts, sessions, names',
    ],
    [
      '/stores/latest/keys/abc',
      400,
      'key "abc" of store "latest" cannot be read as a long key: "abc" is not a number',
    ],
    [
      '/stores/latest/keys/1.5',
      400,
      'key "1.5" of store "latest" cannot be read as a long key: expected an integer, got 1.5',
    ],
    [
      '/stores/latest?from=9&to=2',
      400,
      'from "9" sorts after to "2" (keys are ordered by their serialized bytes); the range would be empty',
    ],
    ['/stores/latest?limit=0', 400, 'limit must be an integer from 1 to 100000, got "0"'],
    ['/stores/latest?prefix=1&from=1', 400, 'give either prefix or a from/to range, not both'],
    [
      '/stores/latest?form=1',
      400,
      'unknown parameter "form" for GET /stores/latest (a key-value store); known: app, from, to, prefix, limit, standby, partitions',
    ],
    [
      '/stores/minute-counts?from=yesterday',
      400,
      'from must be a time: an integer of epoch milliseconds or ISO-8601 with its offset (2024-05-01T10:00:00Z), got "yesterday"',
    ],
    ['/stores/minute-counts?from=10&to=5', 400, 'from (10) is after to (5); the time range would be empty'],
    ...['1.5', '1e3', '0x10', '99999999999999999999', '2024-05-01T10:00:00', '2024-05-01 10:00Z'].map(
      (from): [string, number, string] => [
        `/stores/minute-counts?from=${encodeURIComponent(from)}`,
        400,
        `from must be a time: an integer of epoch milliseconds or ISO-8601 with its offset (2024-05-01T10:00:00Z), got "${from}"`,
      ],
    ),
    ...['1e3', '0x10', ' 5', '5.0'].map((limit): [string, number, string] => [
      `/stores/latest?limit=${encodeURIComponent(limit)}`,
      400,
      `limit must be an integer from 1 to 100000, got "${limit}"`,
    ]),
    [
      '/stores/latest?limit=1&limit=2',
      400,
      'parameter "limit" is given 2 times for GET /stores/latest (a key-value store); give it once',
    ],
    [
      '/stores/minute-counts/keys/4?from=0&to=10&from=5',
      400,
      'parameter "from" is given 2 times for GET /stores/minute-counts/keys/{key} (a window store); give it once',
    ],
    [
      '/metadata?store=latest&store=names',
      400,
      'parameter "store" is given 2 times for GET /metadata; give it once',
    ],
    [
      '/stores/latest/changes?key=1&key=2',
      400,
      'parameter "key" is given 2 times for GET /stores/latest/changes; give it once',
    ],
    [
      '/stores/latest/keys/%00',
      400,
      'key "\u0000" of store "latest" cannot be read as a long key: "\u0000" is not a number',
    ],
    [
      '/stores/%00',
      404,
      'no store "\u0000" on this worker; known stores: latest, minute-counts, sessions, names',
    ],
    ['/stores/latest/keys/1?standby=maybe', 400, 'standby must be true or false, got "maybe"'],
    ['/stores/latest/keys/%E0%A4%A', 400, 'path segment "%E0%A4%A" is not valid percent-encoding'],
    ['/nothing/here', 404, 'no route for GET /nothing/here'],
  ])('GET %s → %i', async (path, status, error) => {
    const response = await getJson(`${a.url}${path}`);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error });
  });

  it('answers a wrong method with 405 and the allowed ones', async () => {
    const response = await getJson(`${a.url}/stores/latest`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });
});

describe('while partitions move', () => {
  it('answers 503 with Retry-After while the application rebalances, unless a standby may answer', async () => {
    a.runner.state = 'rebalancing';
    try {
      for (const path of ['/stores/latest/keys/1', '/stores/latest', '/stores/latest/changes?key=1']) {
        const response = await getJson(`${a.url}${path}`);
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('1');
        expect(response.body.error).toContain('application "stores-app" is rebalancing');
      }
      // Keys of every partition: A has each one, as active or as a standby (one update behind).
      for (const key of [1, 2, 5, 7]) {
        const response = await getJson(`${a.url}/stores/latest/keys/${key}?standby=true`);
        expect(response.status).toBe(200);
        if (partitionOf(key) < 2) expect(response.body).toMatchObject({ value: { n: key * 10 } });
        else expect(response.body).toMatchObject({ value: { n: key * 10 - 1 }, standby: true });
      }
      expect((await getJson(`${a.url}/health/ready`)).status).toBe(503);
    } finally {
      a.runner.state = 'running';
    }
    expect((await getJson(`${a.url}/health/ready`)).status).toBe(200);
  });

  it('never forwards a forwarded request: a worker that is not the owner says 503', async () => {
    const key = [1, 2, 3, 4, 5, 6].find((k) => partitionOf(k) >= 2)!; // owned by B
    const response = await getJson(`${a.url}/stores/latest/keys/${key}`, {
      headers: { [HOP_HEADER]: 'elsewhere:1' },
    });
    expect(response.status).toBe(503);
    expect(response.body.error).toContain(
      `partition ${partitionOf(key)} of store "latest" is not on this worker`,
    );
  });

  it('says 503 when the metadata points at a worker that no longer owns the key (no loop, no stale answer)', async () => {
    // B believes A owns everything; A believes B does: each forwards once, the other refuses.
    const key = [1, 2, 3, 4, 5, 6].find((k) => partitionOf(k) >= 2)!;
    const saved = a.runner.assignment;
    a.runner.assignment = {
      ...saved,
      endpoints: {
        [b.endpoint]: { active: ['0_0', '0_1', '0_2', '0_3'], standby: [] },
        [a.endpoint]: { active: [], standby: [] },
      },
    };
    const savedB = b.runner.assignment;
    b.runner.assignment = {
      ...savedB,
      endpoints: {
        [a.endpoint]: { active: ['0_0', '0_1', '0_2', '0_3'], standby: [] },
        [b.endpoint]: { active: [], standby: [] },
      },
    };
    try {
      const response = await getJson(`${a.url}/stores/latest/keys/${key}`);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
    } finally {
      a.runner.assignment = saved;
      b.runner.assignment = savedB;
    }
  });

  it('says 503 while a partition assigned here is still being restored', async () => {
    const restoring = a.runner.activeTasks.get('0_0')!;
    a.runner.activeTasks.delete('0_0');
    try {
      const key = [1, 2, 3, 4, 5, 6, 7, 8].find((k) => partitionOf(k) === 0)!;
      for (const worker of workers) {
        const response = await getJson(`${worker.url}/stores/latest/keys/${key}`);
        expect(response.status).toBe(503);
        expect(response.body.error).toContain('partition 0 of store "latest" is being restored');
      }
      expect((await getJson(`${b.url}/stores/latest`)).status).toBe(503);
    } finally {
      a.runner.activeTasks.set('0_0', restoring);
    }
  });

  it('follows a rebalance: after the partitions move, each worker forwards to the new owners', async () => {
    await reassign(workers, [{ active: ['0_0', '0_1', '0_2', '0_3'] }, { active: [] }]);
    try {
      // A opened fresh (empty) stores for the tasks it took over: B's data is not served from anywhere stale.
      const moved = [1, 2, 3, 4, 5, 6].find((k) => partitionOf(k) >= 2)!;
      expect((await getJson(`${b.url}/stores/latest/keys/${moved}`)).status).toBe(404);
      const metadata = await getJson(`${b.url}/metadata?store=latest&key=${moved}`);
      expect(metadata.body.active).toBe(a.endpoint);
    } finally {
      await reassign(workers, tasks);
      fillLatest();
    }
  });
});

describe('health and metrics', () => {
  it('reports liveness and readiness', async () => {
    expect(await getJson(`${a.url}/health`)).toMatchObject({ status: 200, body: { status: 'up' } });
    expect(await getJson(`${a.url}/health/ready`)).toMatchObject({
      status: 200,
      body: {
        ready: true,
        applications: [{ application: 'stores-app', state: 'running', activeTasks: 2, standbyTasks: 2 }],
      },
    });
  });

  it('serves Prometheus text', async () => {
    const response = await fetch(`${a.url}/metrics`);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('# TYPE tributary_records_processed_total counter');
    expect(text).toContain('tributary_consumer_lag{application="stores-app",topic="events",partition="0"} 3');
    expect(text).toContain(
      'tributary_records_dropped_total{application="stores-app",reason="expired-window"} 2',
    );
    expect(text).toContain(
      'tributary_records_dropped_total{application="stores-app",reason="error-handler"} 1',
    );
    expect(text).toMatch(
      /tributary_store_entries\{application="stores-app",store="latest",task="0_0",role="active"\} \d+/,
    );
    expect(text).toContain('tributary_commit_duration_seconds_bucket{application="stores-app",le="+Inf"} 0');
    expect(text).toMatch(
      /tributary_http_request_duration_seconds_count\{method="GET",route="\/stores\/:store\/keys\/:key",status="200"\} \d+/,
    );
  });
});
