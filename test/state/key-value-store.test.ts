import { toOffset } from '../../src/common/offset.ts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  Stores,
  type KeyValueStore,
  type StoreBackend,
  type TimestampedKeyValueStore,
} from 'tributary';
import { backends, hex, plain, StoreHarness } from './harness.ts';

const keys = <K, V>(iterator: Iterable<{ key: K; value: V }>) => [...iterator].map((e) => e.key);

describe.each(backends)('key-value store (%s)', (backend: StoreBackend) => {
  const harness = new StoreHarness();
  afterEach(() => harness.cleanup());

  const stringSpec = Stores.keyValue({
    name: 'kv',
    keySerde: Serdes.String(),
    valueSerde: Serdes.String(),
    backend,
  });
  const open = () => harness.openStore<KeyValueStore<string, string>>(stringSpec);

  it('orders keys by their serialized bytes', async () => {
    const { store } = await harness.openStore<KeyValueStore<number, string>>(
      Stores.keyValue({ name: 'ints', keySerde: Serdes.Int(), valueSerde: Serdes.String(), backend }),
    );
    for (const key of [5, -1, 0, 300, -300, 2]) store.put(key, `v${key}`);
    // Big-endian two's complement: negative numbers sort after positive ones, as in Kafka Streams.
    expect(keys(store.all())).toEqual([0, 2, 5, 300, -300, -1]);
    expect(keys(store.all({ reverse: true }))).toEqual([-1, -300, 300, 5, 2, 0]);
    expect(keys(store.range(2, 300))).toEqual([2, 5, 300]);
    expect(keys(store.range(300, 2))).toEqual([]);
    expect(keys(store.range(undefined, 2))).toEqual([0, 2]);
    expect(keys(store.range(-300, undefined, { reverse: true }))).toEqual([-1, -300]);
    expect(store.approximateNumEntries()).toBe(6);
  });

  it('scans by serialized prefix', async () => {
    const { store } = await open();
    for (const key of ['user:1', 'user:2', 'users', 'user', 'order:1']) store.put(key, key);
    expect(keys(store.prefixScan('user:', Serdes.String()))).toEqual(['user:1', 'user:2']);
    expect(keys(store.prefixScan('user', Serdes.String(), { reverse: true }))).toEqual([
      'users',
      'user:2',
      'user:1',
      'user',
    ]);
    expect(keys(store.prefixScan('x', Serdes.String()))).toEqual([]);
  });

  it('puts if absent, deletes returning the old value, and treats null as a delete', async () => {
    const { store } = await open();
    expect(store.putIfAbsent('a', '1')).toBeUndefined();
    expect(store.putIfAbsent('a', '2')).toBe('1');
    expect(store.get('a')).toBe('1');
    expect(store.delete('a')).toBe('1');
    expect(store.delete('a')).toBeUndefined();
    store.putAll([
      { key: 'b', value: 'x' },
      { key: 'c', value: 'y' },
      { key: 'b', value: null },
    ]);
    expect(keys(store.all())).toEqual(['c']);
    expect(() => store.put(null as unknown as string, 'v')).toThrow(/keys cannot be null/);
  });

  it('logs one record per key with its last value, tombstones as null, stamped with the record time', async () => {
    const { store, managed } = await open();
    harness.time = 1;
    store.put('a', '1');
    store.put('b', '1');
    harness.time = 2;
    store.put('a', '2');
    store.delete('b');
    store.delete('never there');
    expect(managed.drainChangelog().map(plain)).toEqual([
      { key: hex(Buffer.from('a')), value: '2', timestamp: 2 },
      { key: hex(Buffer.from('b')), value: null, timestamp: 2 },
    ]);
    expect(managed.drainChangelog()).toEqual([]);
  });

  it('logs nothing when logging is off', async () => {
    const { store, managed } = await harness.openStore<KeyValueStore<string, string>>({
      ...stringSpec,
      logging: { enabled: false },
    });
    store.put('a', '1');
    expect(managed.drainChangelog()).toEqual([]);
  });

  it('restores from its changelog to the same contents, and comes back after a restart', async () => {
    const directory = harness.directory();
    const first = await harness.openStore<KeyValueStore<string, string>>(stringSpec, directory);
    for (let i = 0; i < 20; i++) first.store.put(`k${i % 6}`, `v${i}`);
    first.store.delete('k2');
    const changelog = first.managed.drainChangelog();
    const contents = [...first.store.all()];
    const restored = await harness.restored<KeyValueStore<string, string>>(stringSpec, changelog);
    expect([...restored.store.all()]).toEqual(contents);
    const again = await harness.reopen<KeyValueStore<string, string>>(
      stringSpec,
      first,
      directory,
      changelog,
    );
    expect([...again.store.all()]).toEqual(contents);
    expect(again.managed.checkpoint).toBe(backend === 'leveldb' ? toOffset(changelog.length) : undefined);
  });

  it('keeps timestamps with values, logging the bare value with the row timestamp', async () => {
    const spec = Stores.timestampedKeyValue({
      name: 'table',
      keySerde: Serdes.String(),
      valueSerde: Serdes.String(),
      backend,
    });
    const { store, managed } = await harness.openStore<TimestampedKeyValueStore<string, string>>(spec);
    harness.time = 99;
    store.put('a', { value: 'x', timestamp: 42 });
    expect(store.get('a')).toEqual({ value: 'x', timestamp: 42 });
    const changelog = managed.drainChangelog();
    expect(changelog.map(plain)).toEqual([{ key: hex(Buffer.from('a')), value: 'x', timestamp: 42 }]);
    const restored = await harness.restored<TimestampedKeyValueStore<string, string>>(spec, changelog);
    expect(restored.store.get('a')).toEqual({ value: 'x', timestamp: 42 });
  });
});
