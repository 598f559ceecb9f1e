import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, type KeyValueStore, type ValueAndTimestamp } from 'tributary';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { queryTopology, type Event } from './fixtures/topology.ts';
import {
  EventStreamReader,
  getJson,
  reassign,
  startCluster,
  stopCluster,
  storeFor,
  type FakeWorker,
} from './harness.ts';

const PARTITIONS = 4;
const long = Serdes.Long();
const partitionOf = (key: number) => partitionForKey(long.serialize(key), PARTITIONS);
const tasks = [{ active: ['0_0', '0_1'] }, { active: ['0_2', '0_3'] }];
/** A key owned by A (partitions 0-1) and one owned by B (partitions 2-3). */
const keyOnA = [1, 2, 3, 4, 5, 6, 7, 8].find((k) => partitionOf(k) < 2)!;
const keyOnB = [1, 2, 3, 4, 5, 6, 7, 8].find((k) => partitionOf(k) >= 2)!;

let workers: FakeWorker[];
let a: FakeWorker;
let b: FakeWorker;
const readers: EventStreamReader[] = [];

function latest(key: number): KeyValueStore<number, ValueAndTimestamp<Event>> {
  return storeFor(workers, 'latest', long.serialize(key), PARTITIONS);
}

function put(key: number, n: number): void {
  latest(key).put(key, { value: { n }, timestamp: n });
}

function open(url: string): EventStreamReader {
  const reader = new EventStreamReader(url);
  readers.push(reader);
  return reader;
}

beforeAll(async () => {
  workers = await startCluster({
    applicationId: 'changes-app',
    topology: queryTopology,
    partitions: PARTITIONS,
    tasks,
  });
  [a, b] = workers as [FakeWorker, FakeWorker];
});

afterAll(async () => {
  await Promise.all(readers.map((r) => r.close()));
  await stopCluster(workers);
});

describe('change streams', () => {
  it('pushes every update of a key, at its owner and through the other worker', async () => {
    put(keyOnB, 1);
    const atOwner = open(`${b.url}/stores/latest/changes?key=${keyOnB}&initial=true`);
    const proxied = open(`${a.url}/stores/latest/changes?key=${keyOnB}`);
    await atOwner.waitFor((events) => events.some((e) => e.event === 'current'));
    expect(atOwner.data('current')).toEqual([
      { key: keyOnB, value: { n: 1 }, timestamp: 1, partition: partitionOf(keyOnB) },
    ]);
    // Let the proxied stream reach the owner before the updates.
    await new Promise((resolve) => setTimeout(resolve, 100));
    put(keyOnB, 2);
    put(keyOnA, 99); // another key: not in these streams
    latest(keyOnB).delete(keyOnB);
    for (const reader of [atOwner, proxied]) {
      await reader.waitFor(() => reader.data().length === 2);
      expect(reader.status).toBe(200);
      expect(reader.data()).toEqual([
        { key: keyOnB, value: { n: 2 }, timestamp: 2, partition: partitionOf(keyOnB) },
        { key: keyOnB, value: null, partition: partitionOf(keyOnB) },
      ]);
    }
  });

  it('merges the updates of all keys from every worker that runs some of the store', async () => {
    const all = open(`${a.url}/stores/latest/changes`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    put(keyOnA, 10);
    put(keyOnB, 20);
    await all.waitFor(() => all.data().length === 2);
    expect(
      all
        .data()
        .map((d: { key: number; value: Event }) => [d.key, d.value.n])
        .sort(),
    ).toEqual(
      [
        [keyOnA, 10],
        [keyOnB, 20],
      ].sort(),
    );
  });

  it('ends streams with a rebalance event when the assignment changes, so clients reconnect', async () => {
    const key = open(`${a.url}/stores/latest/changes?key=${keyOnA}`);
    const all = open(`${b.url}/stores/latest/changes`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await reassign(workers, tasks);
    await key.waitFor(() => key.ended);
    await all.waitFor(() => all.ended);
    expect(key.events.map((e) => e.event)).toEqual(['rebalance']);
    expect(all.events.map((e) => e.event)).toContain('rebalance');
  });

  it('refuses what it cannot stream', async () => {
    expect(await getJson(`${a.url}/stores/names/changes`)).toMatchObject({
      status: 400,
      body: {
        error: 'store "names" is a global store; it is loaded from its topic and has no change stream',
      },
    });
    expect(await getJson(`${a.url}/stores/latest/changes?initial=true`)).toMatchObject({
      status: 400,
      body: { error: 'initial=true needs a key of a key-value store' },
    });
  });
});
