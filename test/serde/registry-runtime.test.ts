/**
 * The runtime's side of registry serdes, without a registry: a serde that must `prepare` before it can
 * decode (as a registry serde fetching a writer schema), on a worker over the embedded log. Fetched
 * records wait for their preparation and keep their order; stores restored from a topic whose serde
 * differs from the store's get converted records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Serdes, StreamsBuilder, Topology, type Serde } from 'tributary';
import { EmbeddedLog } from '../../src/embedded/embedded-log.ts';
import { embeddedEventLog } from '../../src/embedded/event-log.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import { PhysicalTopologyBuilder } from '../../src/topology/physical.ts';

const string = Serdes.String();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Strings framed as `<schema id byte><utf8>`: decoding needs the id to be "fetched" first, which
 * `prepare` does after a delay; an id listed as missing never arrives.
 */
function framedSerde(delayMs: number, missing: readonly number[] = []) {
  const known = new Set<number>([0]);
  const fetches: number[] = [];
  const serde: Serde<string> = {
    name: 'framed',
    serialize: (value) => Buffer.concat([Buffer.from([0]), Buffer.from(value)]),
    deserialize(bytes) {
      if (!known.has(bytes[0]!)) throw new Error(`schema ${bytes[0]} not fetched`);
      return Buffer.from(bytes.subarray(1)).toString();
    },
    prepare(bytes) {
      const id = bytes[0]!;
      if (known.has(id)) return undefined;
      fetches.push(id);
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          if (!missing.includes(id)) known.add(id);
          resolve();
        }, delayMs),
      );
    },
  };
  return { serde, fetches };
}

function setUp(topics: Record<string, number>) {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-registry-runtime-'));
  const log = EmbeddedLog.open(join(dir, 'log'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => log.close());
  for (const [topic, partitions] of Object.entries(topics)) log.createTopic(topic, partitions);
  const port = embeddedEventLog(log);
  const send = (topic: string, key: string, id: number, value: string) => {
    const k = string.serialize(key);
    return port.producer({}).send([
      {
        topic,
        partition: partitionForKey(k, topics[topic]!),
        key: k,
        value: Buffer.concat([Buffer.from([id]), Buffer.from(value)]),
        timestamp: Date.now(),
        headers: {},
      },
    ]);
  };
  const sendPlain = (topic: string, key: string, value: string) => {
    const k = string.serialize(key);
    return port.producer({}).send([
      {
        topic,
        partition: partitionForKey(k, topics[topic]!),
        key: k,
        value: string.serialize(value),
        timestamp: Date.now(),
        headers: {},
      },
    ]);
  };
  const read = (topic: string) =>
    Array.from(
      { length: topics[topic]! },
      (_, p) => log.partition(topic, p).read(0, true, 10_000, 1 << 24).records,
    ).flat();
  const start = async (topology: Topology, app: string, errors: Record<string, string> = {}) => {
    const config = loadWorkerConfig({
      flags: {
        'state-dir': join(dir, 'state'),
        guarantee: 'exactly-once',
        'commit-interval-ms': '20',
        ...errors,
      },
      env: {},
    });
    const worker = new Worker([{ applicationId: app, topology }], config, port, silentLogger);
    cleanups.push(() => worker.stop());
    await worker.start();
    return worker;
  };
  return { log, send, sendPlain, read, start, dir };
}

describe('serdes that prepare before decoding, on a worker', () => {
  it('holds fetched records until they are prepared, keeping their order per partition', async () => {
    const { serde, fetches } = framedSerde(30);
    const { send, read, start } = setUp({ in: 1, out: 1 });
    const builder = new StreamsBuilder();
    builder
      .stream('in', { keySerde: string, valueSerde: serde })
      .to('out', { keySerde: string, valueSerde: string });
    await start(builder.build(), 'prep');
    const written = [
      [0, 'a'],
      [1, 'b'],
      [0, 'c'],
      [2, 'd'],
      [1, 'e'],
      [0, 'f'],
    ] as const;
    for (const [id, value] of written) await send('in', 'k', id, value);
    await vi.waitFor(() => expect(read('out')).toHaveLength(6), { timeout: 5_000, interval: 10 });
    expect(read('out').map((r) => string.deserialize(r.value!))).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    // Each unknown id is fetched while its records wait; known ones are not fetched again.
    expect(new Set(fetches)).toEqual(new Set([1, 2]));
  });

  it('lets the deserialization handler deal with a record whose preparation could not help', async () => {
    const { serde } = framedSerde(5, [9]);
    const { send, read, start } = setUp({ in: 1, out: 1 });
    const builder = new StreamsBuilder();
    builder
      .stream('in', { keySerde: string, valueSerde: serde })
      .to('out', { keySerde: string, valueSerde: string });
    await start(builder.build(), 'prep-missing', { 'on-deserialization-error': 'log-and-continue' });
    await send('in', 'k', 0, 'before');
    await send('in', 'k', 9, 'lost');
    await send('in', 'k', 0, 'after');
    await vi.waitFor(() => expect(read('out')).toHaveLength(2), { timeout: 5_000, interval: 10 });
    expect(read('out').map((r) => string.deserialize(r.value!))).toEqual(['before', 'after']);
  });

  it('converts records into a global store whose serde differs from its topic’s, at load and while following', async () => {
    const { serde, fetches } = framedSerde(20);
    const { send, sendPlain, read, start } = setUp({ names: 2, orders: 2, named: 2 });
    const builder = new StreamsBuilder();
    // The store keeps plain strings; the topic is framed (as a registry topic with a plain-Avro store).
    const names = builder.globalTable('names', {
      keySerde: string,
      valueSerde: string,
      storeName: 'names-store',
    });
    builder
      .stream('orders', { keySerde: string, valueSerde: string })
      .join(
        names,
        (_k, customer) => customer,
        (order, name) => `${order}:${name}`,
      )
      .to('named', { keySerde: string, valueSerde: string });
    const topology = withGlobalSourceSerde(builder.build(), serde);
    await send('names', 'c1', 1, 'Ada');
    await start(topology, 'global-conversion');
    await send('names', 'c2', 2, 'Grace');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sendPlain('orders', 'o1', 'c1');
    await sendPlain('orders', 'o2', 'c2');
    await vi.waitFor(
      () =>
        expect(
          read('named')
            .map((r) => string.deserialize(r.value!))
            .sort(),
        ).toEqual(['c1:Ada', 'c2:Grace']),
      { timeout: 5_000, interval: 10 },
    );
    expect(fetches.sort()).toEqual([1, 2]);
  });
});

describe('a table restored from its source topic', () => {
  it('converts the topic’s records when the topic’s serde differs from the store’s', async () => {
    const { serde } = framedSerde(5);
    const { send, sendPlain, read, start, dir } = setUp({ prices: 1, lookups: 1, priced: 1 });
    const build = () => {
      const builder = new StreamsBuilder();
      const prices = builder.table('prices', {
        keySerde: string,
        valueSerde: string,
        storeName: 'prices-store',
      });
      builder
        .stream('lookups', { keySerde: string, valueSerde: string })
        .join(prices, (lookup, price) => `${lookup}=${price}`)
        .to('priced', { keySerde: string, valueSerde: string });
      return withTopicSourceSerde(builder.build(), 'prices', serde);
    };
    const worker = await start(build(), 'table-conversion');
    await send('prices', 'p1', 1, '10');
    await send('prices', 'p2', 2, '20');
    await sendPlain('lookups', 'p1', 'a');
    await vi.waitFor(() => expect(read('priced')).toHaveLength(1), { timeout: 5_000, interval: 10 });
    await worker.stop();
    // Without its state directory the store is restored from the topic, which is its changelog.
    rmSync(join(dir, 'state'), { recursive: true, force: true });
    await start(build(), 'table-conversion');
    await sendPlain('lookups', 'p2', 'b');
    // After the restart the table's partition has nothing new to fetch, so its end stays unknown and the
    // task holds the lookup back for the first-fetch guard (FETCH_WAIT_LIMIT_MS, 5 s) before it joins.
    await vi.waitFor(() => expect(read('priced')).toHaveLength(2), { timeout: 15_000, interval: 10 });
    expect(read('priced').map((r) => string.deserialize(r.value!))).toEqual(['a=10', 'b=20']);
  });
});

/** The topology with the source of `topic` reading it with `serde` (what the registry wiring does). */
function withTopicSourceSerde(topology: Topology, topic: string, serde: Serde<string>): Topology {
  const builder = new PhysicalTopologyBuilder();
  for (const [name, node] of topology.nodes)
    builder.nodes.set(
      name,
      node.kind === 'source' && node.topics.some((t) => t.name === topic)
        ? { ...node, valueSerde: serde as Serde<unknown> }
        : node,
    );
  for (const [name, spec] of topology.stores) builder.stores.set(name, spec);
  for (const [name, def] of topology.internalTopics) builder.internalTopics.set(name, def);
  return new Topology(builder, topology.ir);
}

/** The topology with its global table's source reading `serde` (what the registry wiring does). */
function withGlobalSourceSerde(topology: Topology, serde: Serde<string>): Topology {
  const builder = new PhysicalTopologyBuilder();
  for (const [name, node] of topology.nodes) builder.nodes.set(name, node);
  for (const [name, spec] of topology.stores) builder.stores.set(name, spec);
  for (const [name, global] of topology.globalStores)
    builder.globalStores.set(name, {
      ...global,
      source: { ...global.source, valueSerde: serde as Serde<unknown> },
    });
  for (const [name, def] of topology.internalTopics) builder.internalTopics.set(name, def);
  return new Topology(builder, topology.ir);
}
