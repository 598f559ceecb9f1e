import type { ValueAndTimestamp, Window, WindowStore, Windowed } from '../../state/api.ts';
import type { TimeWindowsSpec } from '../../topology/ir.ts';
import type { ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change } from '../change.ts';
import { recordDropped } from '../internal-context.ts';
import { streamRecord, type StreamRecord } from '../record.ts';
import { foldRecord, groupedStreamProcessor } from './aggregate.ts';
import type { Aggregation } from './aggregation-functions.ts';
import type { TableValueGetterSupplier } from './value-getter.ts';

type AnySupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>;
/** Windowed aggregates are kept with the largest timestamp that went into them. */
export type TimestampedWindowStore<K, V> = WindowStore<K, ValueAndTimestamp<V>>;

/**
 * The starts of the fixed-size windows (aligned to the epoch) that contain `timestamp`: every
 * [start, start + size) with start <= timestamp < start + size. Tumbling windows give one, hopping
 * windows size / advance of them. Windows never start before 0.
 */
export function windowStartsFor(timestamp: number, spec: TimeWindowsSpec): number[] {
  const starts: number[] = [];
  const first =
    Math.floor(Math.max(0, timestamp - spec.sizeMs + spec.advanceMs) / spec.advanceMs) * spec.advanceMs;
  for (let start = first; start <= timestamp; start += spec.advanceMs) starts.push(start);
  return starts;
}

/** Forwards an update of one window as a change of the windowed table. */
export function forwardWindow<K, V>(
  context: ProcessorContext<unknown, unknown>,
  source: StreamRecord<unknown, unknown>,
  key: K,
  window: Window,
  newValue: V | null,
  oldValue: V | null,
  timestamp: number,
): void {
  const windowed: Windowed<K> = { key, window };
  context.forward(streamRecord(windowed, change(newValue, oldValue), timestamp, source.headers));
}

/**
 * Folds a record into one window of its key (the stored aggregate `existing`, or a new one from
 * `seed`), stores the result and forwards the window's change; the old value, when old values are
 * sent, is what the record was folded into (the seed or initializer for a new window).
 */
export function addToWindow(
  context: ProcessorContext<unknown, unknown>,
  store: TimestampedWindowStore<unknown, unknown>,
  aggregation: Aggregation<unknown, unknown, unknown>,
  sendOldValues: boolean,
  record: StreamRecord<unknown, unknown>,
  window: Window,
  existing: ValueAndTimestamp<unknown> | undefined,
  seed?: unknown,
): void {
  const { value, timestamp, base } = foldRecord(aggregation, record, existing, seed);
  store.put(record.key, value === null ? null : { value, timestamp }, window.start);
  forwardWindow(context, record, record.key, window, value, sendOldValues ? base : null, timestamp);
}

/**
 * Aggregates a grouped stream per time window (tumbling or hopping): each record updates every window
 * that contains it and forwards the window's new aggregate (no caching: every update is forwarded).
 * A window stays open until its end plus the grace period; stream time here is the largest timestamp
 * this processor has seen. A record whose window has closed is dropped for that window; with hopping
 * windows it may still update the others. Records with a null key are dropped; a null value goes to
 * the aggregator like any other (a count counts it), as in Kafka Streams.
 */
export function windowedAggregateProcessor(
  storeName: string,
  spec: TimeWindowsSpec,
  aggregation: Aggregation<unknown, unknown, unknown>,
  sendOldValues: boolean,
): AnySupplier {
  return groupedStreamProcessor<TimestampedWindowStore<unknown, unknown>>(
    storeName,
    (context, store) => {
      let observedStreamTime = -1;
      return (record) => {
        observedStreamTime = Math.max(observedStreamTime, record.timestamp);
        const closeTime = observedStreamTime - spec.graceMs;
        for (const start of windowStartsFor(record.timestamp, spec)) {
          const end = start + spec.sizeMs;
          if (end <= closeTime) {
            // Counted once per closed window, as Kafka Streams does for hopping windows.
            recordDropped(context, 'expired-window', record, {
              window: `[${start},${end})`,
              expiration: closeTime,
              streamTime: observedStreamTime,
            });
            continue;
          }
          addToWindow(
            context,
            store,
            aggregation,
            sendOldValues,
            record,
            { start, end },
            store.fetch(record.key, start),
          );
        }
      };
    },
    'null-key',
  );
}

/** Values of a windowed table, read from its window store by key and window start. */
export function windowStoreValueGetter<K, V>(storeName: string): TableValueGetterSupplier<Windowed<K>, V> {
  return {
    storeNames: [storeName],
    get: () => {
      let store: TimestampedWindowStore<K, V>;
      return {
        init: (context) => {
          store = context.getStateStore(storeName);
        },
        get: (windowed) => store.fetch(windowed.key, windowed.window.start),
      };
    },
  };
}
