import type { StateStore, ValueAndTimestamp, Window, WindowStore, Windowed } from '../../state/api.ts';
import type { TimeWindowsSpec } from './specs.ts';
import type { ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change, type Change } from '../change.ts';
import { recordDropped } from '../internal-context.ts';
import { streamRecord, type StreamRecord } from '../record.ts';
import { foldRecord, groupedStreamProcessor } from './aggregate.ts';
import { EmitFinalProgress, forwardFinal } from './emit-final.ts';
import type { Aggregation } from './aggregation-functions.ts';
import { tableForwarder, type TableForwarder } from './table-forwarder.ts';
import type { TableValueGetterSupplier } from './value-getter.ts';

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

/**
 * How a windowed aggregation emitting every update hands on a window's update: forwarded at once over
 * a plain store; over a caching store, by the cache's flush, each window's latest aggregate once (see
 * `tableForwarder`). Undefined when the aggregation emits on window close.
 */
export function windowForwarder<K, VA>(
  context: ProcessorContext<Windowed<K>, Change<VA>>,
  store: StateStore,
  emit: WindowEmit,
): TableForwarder<Windowed<K>, VA> | undefined {
  return emit.onUpdate ? tableForwarder(context, store, emit.sendOldValues) : undefined;
}

/** Forwards an update of one window as a change of the windowed table. */
export function forwardWindow<K, V>(
  forwarder: TableForwarder<Windowed<K>, V>,
  source: StreamRecord<unknown, unknown>,
  key: K,
  window: Window,
  newValue: V | null,
  oldValue: V | null,
  timestamp: number,
): void {
  const windowed: Windowed<K> = { key, window };
  forwarder.maybeForward(streamRecord(windowed, change(newValue, oldValue), timestamp, source.headers));
}

/**
 * Folds a record into one window of its key (the stored aggregate `existing`, or a new one from
 * `seed`), stores the result and forwards the window's change; the old value, when old values are
 * sent, is what the record was folded into (the seed or initializer for a new window).
 */
export function addToWindow<K, V, VA>(
  store: TimestampedWindowStore<K, VA>,
  forwarder: TableForwarder<Windowed<K>, VA> | undefined,
  aggregation: Aggregation<K, V, VA>,
  emit: WindowEmit,
  record: StreamRecord<K, V>,
  window: Window,
  existing: ValueAndTimestamp<VA> | undefined,
  seed?: VA | null,
): void {
  const { value, timestamp, base } = foldRecord(aggregation, record, existing, seed);
  store.put(record.key, value === null ? null : { value, timestamp }, window.start);
  if (forwarder)
    forwardWindow(forwarder, record, record.key, window, value, emit.sendOldValues ? base : null, timestamp);
}

/** How a windowed aggregation emits: every update (with old values or not), or only final results. */
export interface WindowEmit {
  readonly onUpdate: boolean;
  readonly sendOldValues: boolean;
}

/**
 * Emits, on window close, the windows whose start lies in [lower, upper] (both inclusive), in order of
 * their start, each with its aggregate's timestamp. Kafka Streams reads a store ordered by time; this
 * store is ordered by key within a segment, so the windows are sorted by start (keys keep their order).
 */
export function emitClosedWindows<K, VA>(
  context: ProcessorContext<Windowed<K>, Change<VA>>,
  store: TimestampedWindowStore<K, VA>,
  trigger: StreamRecord<unknown, unknown>,
  lower: number,
  upper: number,
): void {
  const windows = [...store.fetchAll(lower, upper)].sort((a, b) => a.key.window.start - b.key.window.start);
  for (const { key, value } of windows) forwardFinal(context, trigger, key, value.value, value.timestamp);
}

/**
 * Aggregates a grouped stream per time window (tumbling or hopping): Kafka Streams'
 * `KStreamWindowAggregate`. Each record updates every window that contains it and forwards the
 * window's new aggregate (through the record cache when the store caches), or, emitting on window
 * close, only the final results of the windows that closed (see `EmitStrategy`).
 * A window stays open until its end plus the grace period; stream time here is the largest timestamp
 * this processor has seen. A record whose window has closed is dropped for that window; with hopping
 * windows it may still update the others. Records with a null key are dropped; a null value goes to
 * the aggregator like any other (a count counts it), as in Kafka Streams.
 */
export function windowedAggregateProcessor<K, V, VA>(
  storeName: string,
  spec: TimeWindowsSpec,
  aggregation: Aggregation<K, V, VA>,
  emit: WindowEmit,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return groupedStreamProcessor<TimestampedWindowStore<K, VA>, K, V, Windowed<K>, Change<VA>>(
    storeName,
    (context, store) => {
      let observedStreamTime = -1;
      const forwarder = windowForwarder(context, store, emit);
      const progress = emit.onUpdate ? undefined : new EmitFinalProgress(store);
      const sameWindows = (a: number, b: number) =>
        windowStartsFor(a, spec).join() === windowStartsFor(b, spec).join();
      /** Kafka Streams' `KStreamWindowAggregate` range of closed windows to emit. */
      const emitFinal = (record: StreamRecord<K, V>, closeTime: number): void => {
        if (!progress?.due(closeTime)) return;
        const upper = closeTime - spec.sizeMs;
        if (upper < 0) return;
        const last = progress.lastEmitCloseTime;
        const lower = last === -1 ? 0 : Math.max(0, last - spec.sizeMs) + 1;
        // No window closed since the last emission: nothing to read.
        if (last !== -1 && sameWindows(upper, lower - 1)) return;
        emitClosedWindows(context, store, record, lower, upper);
        progress.emitted(closeTime);
      };
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
            store,
            forwarder,
            aggregation,
            emit,
            record,
            { start, end },
            store.fetch(record.key, start),
          );
        }
        emitFinal(record, closeTime);
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
