// Versioned stores over HTTP: a key's version as of a time (Kafka Streams' VersionedKeyQuery) and its
// versions in a time range (MultiVersionedKeyQuery, KIP-968), answered by the key's owner from any worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, type VersionedKeyValueStore } from 'tributary';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { getJson, startCluster, stopCluster, storeFor, type FakeWorker } from './harness.ts';

const PARTITIONS = 2;
const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
const serializedKey = (key: string) => Serdes.String().serialize(key);

function pricesTopology() {
  const builder = new StreamsBuilder();
  builder.table<string, string>('prices', {
    ...strings,
    storeName: 'prices',
    backend: 'memory',
    versioned: { historyRetentionMs: 60_000 },
  });
  return builder.build();
}

let workers: FakeWorker[];
/** Keys owned by each worker, so both a local and a forwarded answer are asked for. */
const keys = ['apple', 'banana', 'fig', 'lemon'];

beforeAll(async () => {
  workers = await startCluster({
    applicationId: 'prices-app',
    topology: pricesTopology,
    partitions: PARTITIONS,
    tasks: [{ active: ['0_0'] }, { active: ['0_1'] }],
  });
  for (const key of keys) {
    const store = storeFor<VersionedKeyValueStore<string, string>>(
      workers,
      'prices',
      serializedKey(key),
      PARTITIONS,
    );
    store.put(key, `${key}@10`, 10);
    store.put(key, `${key}@30`, 30);
    store.put(key, `${key}@20`, 20);
    store.put(key, null, 40);
    store.put(key, `${key}@50`, 50);
  }
});

afterAll(async () => {
  await stopCluster(workers);
});

describe('versioned stores over HTTP', () => {
  it('are listed with their history retention', async () => {
    const { body } = await getJson(`${workers[0]!.url}/stores`);
    expect(body.stores).toEqual([
      {
        name: 'prices',
        application: 'prices-app',
        kind: 'versioned',
        global: false,
        keySerde: 'string',
        valueSerde: 'string',
        historyRetentionMs: 60_000,
        partitions: PARTITIONS,
      },
    ]);
    // The keys sit in both partitions, so some answers below are forwarded.
    expect(new Set(keys.map((k) => partitionForKey(serializedKey(k), PARTITIONS)))).toEqual(new Set([0, 1]));
  });

  it('answer a key with its latest version, or the version valid at asOf', async () => {
    for (const worker of workers)
      for (const key of keys) {
        const partition = partitionForKey(serializedKey(key), PARTITIONS);
        expect(await getJson(`${worker.url}/stores/prices/keys/${key}`)).toMatchObject({
          status: 200,
          body: { store: 'prices', key, value: `${key}@50`, timestamp: 50, partition },
        });
        const asOf25 = await getJson(`${worker.url}/stores/prices/keys/${key}?asOf=25`);
        expect(asOf25.body).toEqual({
          store: 'prices',
          key,
          value: `${key}@20`,
          timestamp: 20,
          validTo: 30,
          partition,
        });
        // A delete was valid at 45; before the first version there was nothing.
        for (const asOf of [45, 5]) {
          const { status, body } = await getJson(`${worker.url}/stores/prices/keys/${key}?asOf=${asOf}`);
          expect(status).toBe(404);
          expect(body.error).toBe(`no value for key "${key}" in store "prices" as of ${asOf}`);
        }
      }
  });

  it('answer the versions of a key in a time range, newest first or ascending, with a limit', async () => {
    for (const worker of workers)
      for (const key of keys) {
        const all = await getJson(`${worker.url}/stores/prices?key=${key}`);
        expect(all.status).toBe(200);
        expect(all.body).toMatchObject({ store: 'prices', key, truncated: false });
        expect(all.body.entries).toEqual([
          { value: `${key}@50`, timestamp: 50 },
          { value: `${key}@30`, timestamp: 30, validTo: 40 },
          { value: `${key}@20`, timestamp: 20, validTo: 30 },
          { value: `${key}@10`, timestamp: 10, validTo: 20 },
        ]);
        const range = await getJson(`${worker.url}/stores/prices?key=${key}&from=25&to=45&order=ascending`);
        expect(range.body.entries).toEqual([
          { value: `${key}@20`, timestamp: 20, validTo: 30 },
          { value: `${key}@30`, timestamp: 30, validTo: 40 },
        ]);
        const limited = await getJson(`${worker.url}/stores/prices?key=${key}&limit=1`);
        expect(limited.body).toMatchObject({ entries: [{ value: `${key}@50` }], truncated: true });
      }
    expect(await getJson(`${workers[0]!.url}/stores/prices?key=elder`)).toMatchObject({
      status: 200,
      body: { key: 'elder', entries: [], truncated: false },
    });
  });

  it('refuse what a versioned store cannot answer, saying why', async () => {
    const url = workers[0]!.url;
    const cases: [string, string][] = [
      [
        '/stores/prices',
        'store "prices" is a versioned store: it is read one key at a time; give key (and from, to, order for its versions)',
      ],
      ['/stores/prices?key=apple&from=50&to=10', 'from (50) is after to (10); the time range would be empty'],
      ['/stores/prices?key=apple&order=newest', 'order must be ascending or descending, got "newest"'],
      [
        '/stores/prices?key=apple&prefix=a',
        'unknown parameter "prefix" for GET /stores/prices (a versioned store); known: app, standby, key, from, to, order, limit',
      ],
      [
        '/stores/prices/keys/apple?from=10',
        'unknown parameter "from" for GET /stores/prices/keys/{key} (a versioned store); known: app, standby, asOf',
      ],
      [
        '/stores/prices/changes?key=apple',
        `store "prices" is a versioned store; it has no change stream (read a key's versions with GET /stores/prices?key=)`,
      ],
    ];
    for (const [path, error] of cases) {
      const { status, body } = await getJson(`${url}${path}`);
      expect({ path, status, error: body.error }).toEqual({ path, status: 400, error });
    }
    const badTime = await getJson(`${url}/stores/prices/keys/apple?asOf=yesterday`);
    expect(badTime.status).toBe(400);
    expect(badTime.body.error).toMatch(/^asOf must be a time/);
  });
});
