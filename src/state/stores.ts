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
}

function logging(option: StoreOptions<unknown, unknown>['logging']) {
  return { enabled: option !== false, topicConfig: typeof option === 'object' ? option.topicConfig : {} };
}

/** Store specs for the Processor API: Kafka Streams' `Stores` factories as option objects. */
export const Stores = {
  keyValue<K, V>(options: StoreOptions<K, V>): KeyValueStoreSpec<K, V> {
    return {
      kind: 'key-value',
      name: options.name,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      backend: options.backend ?? 'leveldb',
      logging: logging(options.logging),
    };
  },

  /** A key-value store whose values carry the timestamp of the record that wrote them. */
  timestampedKeyValue<K, V>(options: StoreOptions<K, V>): KeyValueStoreSpec<K, V> {
    return { ...Stores.keyValue(options), kind: 'timestamped-key-value' };
  },

  /**
   * A versioned key-value store (KIP-889, Kafka Streams' `persistentVersionedKeyValueStore`): each key's
   * versions by timestamp, readable as of any time within `historyRetentionMs` of the store's stream
   * time, which is also how late a write may come.
   */
  versionedKeyValue<K, V>(
    options: StoreOptions<K, V> & { readonly historyRetentionMs: number },
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
    };
  },

  /** A window store whose values carry the timestamp of the record that last wrote them. */
  timestampedWindow<K, V>(
    options: StoreOptions<K, V> & { readonly windowSizeMs: number; readonly retentionMs: number },
  ): WindowStoreSpec<K, V> {
    return { ...Stores.window(options), timestamped: true };
  },

  session<K, V>(options: StoreOptions<K, V> & { readonly retentionMs: number }): SessionStoreSpec<K, V> {
    return {
      kind: 'session',
      name: options.name,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      backend: options.backend ?? 'leveldb',
      logging: logging(options.logging),
      retentionMs: options.retentionMs,
    };
  },
};
