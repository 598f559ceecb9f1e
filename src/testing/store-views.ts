import type { KeyValue } from '../processor/record.ts';
import type { Serde } from '../serde/serde.ts';
import type {
  RangeOptions,
  ReadOnlyKeyValueStore,
  ReadOnlyWindowStore,
  TimestampedKeyValueStore,
  ValueAndTimestamp,
  WindowEntry,
  Windowed,
} from '../state/api.ts';
import { toBinaryKey } from '../state/bytes.ts';

/** A table store seen with plain values, as Kafka Streams' test driver shows table stores. */
export function unwrappedTimestampedStore<K, V>(
  store: TimestampedKeyValueStore<K, V>,
): ReadOnlyKeyValueStore<K, V> {
  const unwrap = function* (entries: Iterable<KeyValue<K, { value: V }>>): IterableIterator<KeyValue<K, V>> {
    for (const entry of entries) yield { key: entry.key, value: entry.value.value };
  };
  return {
    name: store.name,
    persistent: store.persistent,
    get: (key) => store.get(key)?.value,
    range: (from, to, options) => unwrap(store.range(from, to, options)),
    prefixScan: (prefix, serde, options) => unwrap(store.prefixScan(prefix, serde, options)),
    all: (options) => unwrap(store.all(options)),
    approximateNumEntries: () => store.approximateNumEntries(),
  };
}

/** A timestamped window store (a windowed aggregation's) seen with plain values. */
export function unwrappedTimestampedWindowStore<K, V>(
  store: ReadOnlyWindowStore<K, ValueAndTimestamp<V>>,
): ReadOnlyWindowStore<K, V> {
  const unwrap = function* (
    entries: Iterable<KeyValue<Windowed<K>, ValueAndTimestamp<V>>>,
  ): IterableIterator<KeyValue<Windowed<K>, V>> {
    for (const entry of entries) yield { key: entry.key, value: entry.value.value };
  };
  const unwrapWindows = function* (
    entries: Iterable<WindowEntry<ValueAndTimestamp<V>>>,
  ): IterableIterator<WindowEntry<V>> {
    for (const entry of entries) yield { windowStart: entry.windowStart, value: entry.value.value };
  };
  return {
    name: store.name,
    persistent: store.persistent,
    windowSizeMs: store.windowSizeMs,
    fetch: (key, windowStart) => store.fetch(key, windowStart)?.value,
    fetchWindows: (key, from, to, options) => unwrapWindows(store.fetchWindows(key, from, to, options)),
    fetchKeyRange: (keyFrom, keyTo, from, to, options) =>
      unwrap(store.fetchKeyRange(keyFrom, keyTo, from, to, options)),
    fetchAll: (from, to, options) => unwrap(store.fetchAll(from, to, options)),
    all: (options) => unwrap(store.all(options)),
  };
}

/**
 * One view over the copies of a store that each partition's task holds. A key lives in one partition,
 * so `get` asks each; iteration merges them in serialized-key order, as a single store would iterate.
 */
export function mergedKeyValueStore<K, V>(
  name: string,
  parts: readonly ReadOnlyKeyValueStore<K, V>[],
  keySerde: Serde<K>,
): ReadOnlyKeyValueStore<K, V> {
  if (parts.length === 1) return parts[0]!;
  const merge = (
    each: (store: ReadOnlyKeyValueStore<K, V>) => Iterable<KeyValue<K, V>>,
    options: RangeOptions = {},
  ): IterableIterator<KeyValue<K, V>> => {
    const entries = parts.flatMap((store) =>
      [...each(store)].map((entry) => ({ entry, sortKey: toBinaryKey(keySerde.serialize(entry.key)) })),
    );
    entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    if (options.reverse) entries.reverse();
    return entries.map((e) => e.entry).values();
  };
  return {
    name,
    persistent: parts[0]!.persistent,
    get: (key) => {
      for (const store of parts) {
        const value = store.get(key);
        if (value !== undefined) return value;
      }
      return undefined;
    },
    range: (from, to, options) => merge((s) => s.range(from, to), options),
    prefixScan: (prefix, serde, options) => merge((s) => s.prefixScan(prefix, serde), options),
    all: (options) => merge((s) => s.all(), options),
    approximateNumEntries: () => parts.reduce((sum, s) => sum + s.approximateNumEntries(), 0),
  };
}
