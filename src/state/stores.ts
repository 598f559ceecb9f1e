import type { Serde } from '../serde/serde.ts';
import type {
  KeyValueStoreSpec,
  SessionStoreSpec,
  StoreBackend,
  VersionedKeyValueStoreSpec,
  WindowStoreSpec,
} from './api.ts';

interface StoreOptions<K, V> {
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  /** 'leveldb' (default) or 'memory'. */
  readonly backend?: StoreBackend;
  /** Changelog on (default) or off, or on with extra topic configs. */
  readonly logging?: boolean | { readonly topicConfig: Readonly<Record<string, string>> };
  /**
   * The record cache in front of the store (Kafka Streams' `StoreBuilder.withCachingEnabled()`), off by
   * default as in Kafka Streams' `Stores` builders. With it on, a processor's writes stay in the cache
   * (its reads see them) until a commit, or a full cache, writes each key's latest value to the store
   * and its changelog once. Key-value, window and session stores; not versioned stores, nor window
   * stores retaining duplicates (Kafka Streams turns caching off for those too).
   */
  readonly caching?: boolean;
}

function logging(option: StoreOptions<unknown, unknown>['logging']) {
  return { enabled: option !== false, topicConfig: typeof option === 'object' ? option.topicConfig : {} };
}

/** The spec's `caching`, present only when asked for. */
function caching(options: StoreOptions<unknown, unknown>) {
  return options.caching ? { caching: true } : {};
}

/**
 * Store specs for the Processor API: Kafka Streams' `Stores` factories, as option objects.
 *
 * @example
 * ```ts
 * builder.addStateStore(Stores.keyValue({ name: 'seen', keySerde: Serdes.String(), valueSerde: Serdes.Long() }));
 * ```
 */
export const Stores = {
  /**
   * A key-value store: LevelDB unless `backend: 'memory'`, with a changelog topic unless
   * `logging: false`, and the record cache in front when `caching: true`.
   *
   * @example
   * ```ts
   * Stores.keyValue({ name: 'reserved-stock', keySerde: Serdes.String(), valueSerde: Serdes.Int() });
   * Stores.keyValue({ name: 'latest-position', keySerde: Serdes.String(), valueSerde: Serdes.Json(), caching: true });
   * ```
   */
  keyValue<K, V>(options: StoreOptions<K, V>): KeyValueStoreSpec<K, V> {
    return {
      kind: 'key-value',
      name: options.name,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      backend: options.backend ?? 'leveldb',
      logging: logging(options.logging),
      ...caching(options),
    };
  },

  /**
   * A key-value store whose values carry the timestamp of the record that wrote them.
   *
   * @example
   * ```ts
   * Stores.timestampedKeyValue({ name: 'last-seen', keySerde: Serdes.String(), valueSerde: Serdes.Json() });
   * ```
   */
  timestampedKeyValue<K, V>(options: StoreOptions<K, V>): KeyValueStoreSpec<K, V> {
    return { ...Stores.keyValue(options), kind: 'timestamped-key-value' };
  },

  /**
   * A versioned key-value store (KIP-889, Kafka Streams' `persistentVersionedKeyValueStore`): each key's
   * versions by timestamp, readable as of any time within `historyRetentionMs` of the store's stream
   * time, which is also how late a write may come.
   *
   * @example
   * ```ts
   * Stores.versionedKeyValue({
   *   name: 'prices-history',
   *   keySerde: Serdes.String(),
   *   valueSerde: Serdes.Double(),
   *   historyRetentionMs: 24 * 3_600_000,
   * });
   * ```
   */
  versionedKeyValue<K, V>(
    options: Omit<StoreOptions<K, V>, 'caching'> & { readonly historyRetentionMs: number },
  ): VersionedKeyValueStoreSpec<K, V> {
    return {
      kind: 'versioned-key-value',
      name: options.name,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      backend: options.backend ?? 'leveldb',
      logging: logging(options.logging),
      historyRetentionMs: options.historyRetentionMs,
    };
  },

  /**
   * A window store: values per key and window start, kept for `retentionMs`.
   *
   * @example
   * ```ts
   * Stores.window({
   *   name: 'clicks-by-minute',
   *   keySerde: Serdes.String(),
   *   valueSerde: Serdes.Long(),
   *   windowSizeMs: 60_000,
   *   retentionMs: 24 * 3_600_000,
   * });
   * ```
   */
  window<K, V>(
    options: StoreOptions<K, V> & {
      readonly windowSizeMs: number;
      readonly retentionMs: number;
      readonly retainDuplicates?: boolean;
    },
  ): WindowStoreSpec<K, V> {
    return {
      kind: 'window',
      name: options.name,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      backend: options.backend ?? 'leveldb',
      logging: logging(options.logging),
      windowSizeMs: options.windowSizeMs,
      retentionMs: options.retentionMs,
      retainDuplicates: options.retainDuplicates ?? false,
      ...(options.retainDuplicates ? {} : caching(options)),
    };
  },

  /**
   * A window store whose values carry the timestamp of the record that last wrote them.
   *
   * @example
   * ```ts
   * Stores.timestampedWindow({ name: 'w', keySerde: Serdes.String(), valueSerde: Serdes.Long(), windowSizeMs: 60_000, retentionMs: 3_600_000 });
   * ```
   */
  timestampedWindow<K, V>(
    options: StoreOptions<K, V> & { readonly windowSizeMs: number; readonly retentionMs: number },
  ): WindowStoreSpec<K, V> {
    return { ...Stores.window(options), timestamped: true };
  },

  /**
   * A session store: values per key and session window, kept for `retentionMs`.
   *
   * @example
   * ```ts
   * Stores.session({ name: 'visits', keySerde: Serdes.String(), valueSerde: Serdes.Long(), retentionMs: 86_400_000 });
   * ```
   */
  session<K, V>(options: StoreOptions<K, V> & { readonly retentionMs: number }): SessionStoreSpec<K, V> {
    return {
      kind: 'session',
      name: options.name,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      backend: options.backend ?? 'leveldb',
      logging: logging(options.logging),
      retentionMs: options.retentionMs,
      ...caching(options),
    };
  },
};
