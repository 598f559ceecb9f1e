import { ProcessingError } from '../../errors.ts';
import type { Serde } from '../../serde/serde.ts';
import type { KeyValueStore } from '../../state/api.ts';
import type { SuppressSpec } from './specs.ts';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change, type Change } from '../change.ts';
import { streamRecord, type StreamRecord } from '../record.ts';
import { SuppressionBuffer, type BufferedChange } from './suppress-buffer.ts';
import type { TableValueGetterSupplier } from './value-getter.ts';

export interface SuppressOptions<K, V> {
  /** The processor's name, for error messages. */
  readonly name: string;
  readonly storeName: string;
  readonly keySerde: Serde<K>;
  /** The table's value serde: buffered values are counted in serialized bytes. */
  readonly valueSerde: Serde<V>;
  readonly spec: SuppressSpec;
  /**
   * How long past an entry's due time stream time must be before it is emitted: the window's grace
   * (plus the inactivity gap for sessions) until windows close, the time limit otherwise.
   */
  readonly waitMs: number;
}

/**
 * Holds back a table's updates: keeps the latest update per key and emits it once stream time (the
 * largest timestamp this processor has seen) passes the entry's due time plus `waitMs`. Until windows
 * close, the due time is the window end, so each window is emitted once, with its final value; with a
 * time limit it is the time of the key's first held-back update (later updates replace the value but
 * do not restart the wait). Entries leave in order of due time.
 *
 * The emitted change's old value is the value downstream last saw for the key (its prior value), so
 * a downstream aggregation retracts exactly what it had added. Until windows close, deletes (a session
 * merged into a bigger one) are dropped: downstream never saw the window.
 */
export function suppressProcessor<K, V>(
  options: SuppressOptions<K, V>,
): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  const { name, storeName, keySerde, valueSerde, spec, waitMs } = options;
  const windowClose = spec.until === 'window-close';
  const dueTime = (record: StreamRecord<K, Change<V>>): number =>
    windowClose ? windowEnd(name, record.key) : record.timestamp;
  return () => {
    let context: ProcessorContext<K, Change<V>>;
    let buffer: SuppressionBuffer<K, V>;
    let observedStreamTime = -1;

    const emit = (key: K, entry: BufferedChange<V>): void => {
      // Final results leave deletes out (downstream never saw the window); a time limit emits them.
      if (entry.value === null && windowClose) return;
      context.forward(streamRecord(key, change(entry.value, entry.prior), entry.timestamp, entry.headers));
    };

    const processor: Processor<K, Change<V>, K, Change<V>> = {
      init: (c) => {
        context = c;
        buffer = new SuppressionBuffer(c.getStateStore(storeName), keySerde, valueSerde);
      },
      process: (record) => {
        observedStreamTime = Math.max(observedStreamTime, record.timestamp);
        buffer.put(record.key, dueTime(record), record.value, record.timestamp, record.headers, {
          topic: context.recordMetadata()?.topic,
        });
        const expiry = observedStreamTime - waitMs;
        buffer.evictWhile(() => buffer.minTime <= expiry, emit);
        const overCapacity = () =>
          buffer.size > (spec.maxRecords ?? Infinity) || buffer.bytes > (spec.maxBytes ?? Infinity);
        if (!overCapacity()) return;
        if (spec.whenFull === 'emit-early') {
          buffer.evictWhile(overCapacity, emit);
          return;
        }
        throw new ProcessingError(
          name,
          `${name}: the suppression buffer is full (${buffer.size} of at most ${spec.maxRecords ?? 'unlimited'} records, ` +
            `${buffer.bytes} of at most ${spec.maxBytes ?? 'unlimited'} bytes) and is set to shut down when full; ` +
            'raise maxRecords or maxBytes, or use whenFull: "emit-early"',
        );
      },
    };
    return processor;
  };
}

/** Suppressing until windows close is only offered on windowed tables, whose keys carry their window. */
function windowEnd(name: string, key: unknown): number {
  const window: unknown = typeof key === 'object' && key !== null && 'window' in key ? key.window : undefined;
  if (typeof window === 'object' && window !== null && 'end' in window && typeof window.end === 'number')
    return window.end;
  throw new ProcessingError(name, `${name}: suppressing until windows close needs a windowed table's key`);
}

/**
 * The suppressed table's values: for a key with a held-back update, what downstream last saw (its
 * timestamp is unknown, reported as -1); otherwise the parent table's value.
 */
export function suppressValueGetter<K, V>(
  storeName: string,
  parent: TableValueGetterSupplier<K, V>,
): TableValueGetterSupplier<K, V> {
  return {
    storeNames: [storeName, ...parent.storeNames],
    get: () => {
      const upstream = parent.get();
      let store: KeyValueStore<K, BufferedChange<V>>;
      return {
        init: (context) => {
          upstream.init(context);
          store = context.getStateStore(storeName);
        },
        get: (key) => {
          const buffered = store.get(key);
          if (!buffered) return upstream.get(key);
          return buffered.prior === null ? undefined : { value: buffered.prior, timestamp: -1 };
        },
        close: () => upstream.close?.(),
      };
    },
  };
}
