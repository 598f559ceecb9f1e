import type { ValueAndTimestamp, Windowed } from '../../state/api.ts';
import type { Change } from '../change.ts';
import type { SlidingWindowsSpec } from './specs.ts';
import type { ProcessorSupplier } from '../api.ts';
import type { StreamRecord } from '../record.ts';
import { recordDropped } from '../internal-context.ts';
import { groupedStreamProcessor } from './aggregate.ts';
import type { Aggregation } from './aggregation-functions.ts';
import { EmitFinalProgress } from './emit-final.ts';
import {
  addToWindow,
  emitClosedWindows,
  forwardWindow,
  windowForwarder,
  type TimestampedWindowStore,
  type WindowEmit,
} from './windowed-aggregate.ts';

interface StoredWindow<VA> {
  readonly start: number;
  readonly aggregate: ValueAndTimestamp<VA>;
}

/**
 * Aggregates a grouped stream in sliding windows of `timeDifferenceMs`: windows [start, start + d],
 * both ends inclusive, that exist only where records are, so that every distinct set of records lying
 * within d of each other is aggregated exactly once.
 *
 * Each record gets its left window [t - d, t] (ending at the record) and, when later records lie
 * within d after it, its right window [t + 1, t + 1 + d] (starting just after it). A record arriving
 * also updates every existing window that contains it, and creates the right window of the record
 * before it when it falls into that window. A stored aggregate's timestamp is the largest record
 * timestamp in its window: that is how the processor tells which records a window holds without
 * keeping the records. Records before time d share the window [0, d]: windows never start before 0.
 *
 * A window is open until its end plus grace (stream time being the largest timestamp this processor
 * has seen); a record whose right window would have closed is dropped, and so is its update of each
 * closed window (each counted as a drop, as Kafka Streams meters them). Records with a null key or
 * value are dropped.
 */
export function slidingAggregateProcessor<K, V, VA>(
  storeName: string,
  spec: SlidingWindowsSpec,
  aggregation: Aggregation<K, V, VA>,
  emit: WindowEmit,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  type Aggregate = ValueAndTimestamp<VA>;
  const d = spec.timeDifferenceMs;
  return groupedStreamProcessor<TimestampedWindowStore<K, VA>, K, V, Windowed<K>, Change<VA>>(
    storeName,
    (context, store) => {
      let observedStreamTime = -1;
      const forwarder = windowForwarder(context, store, emit);

      const fetch = (key: K, from: number, to: number): StoredWindow<VA>[] =>
        // Read eagerly: the loop below writes to the windows it reads.
        [...store.fetchWindows(key, Math.max(0, from), to)].map((w) => ({
          start: w.windowStart,
          aggregate: w.value,
        }));

      /**
       * Adds the record to the window starting at `start`. `existing` is the window's stored aggregate;
       * a new window starts from `seed` (what the records already in it add up to, or the initializer).
       */
      const addTo = (
        record: StreamRecord<K, V>,
        closeTime: number,
        start: number,
        existing: Aggregate | undefined,
        seed?: VA | null,
      ): void => {
        const end = start + d;
        if (end >= closeTime)
          addToWindow(store, forwarder, aggregation, emit, record, { start, end }, existing, seed);
        // As in Kafka Streams, every closed window the record would have gone into counts as a drop.
        else
          recordDropped(context, 'expired-window', record, {
            window: `[${start},${end}]`,
            expiration: closeTime,
            streamTime: observedStreamTime,
          });
      };

      /** The record's right window: the records after it within d, which `later` already aggregates. */
      const createRightWindow = (record: StreamRecord<K, V>, later: Aggregate): void => {
        const start = record.timestamp + 1;
        store.put(record.key, later, start);
        if (forwarder)
          forwardWindow(
            forwarder,
            record,
            record.key,
            { start, end: start + d },
            later.value,
            null,
            later.timestamp,
          );
      };

      const processEarly = (record: StreamRecord<K, V>, closeTime: number): void => {
        const t = record.timestamp;
        // Records before d all live in [0, d]; their right windows are created as later records come.
        let combined: StoredWindow<VA> | undefined;
        let rightAggregate: Aggregate | undefined;
        let rightWindowExists = false;
        let previousRecordTime: number | undefined;
        const starts = new Set<number>();
        for (const window of fetch(record.key, 0, t + 1)) {
          starts.add(window.start);
          if (window.start === 0) {
            combined = window;
            if (window.aggregate.timestamp < t) previousRecordTime = window.aggregate.timestamp;
          } else if (window.start <= t) {
            rightAggregate = window.aggregate;
            addTo(record, closeTime, window.start, window.aggregate);
          } else if (window.start === t + 1) rightWindowExists = true;
          else throw unexpectedWindow(window.start, t);
        }
        // Without a right window found, [0, d] holds only records after this one if its newest is later.
        if (!rightAggregate && combined && combined.aggregate.timestamp > t)
          rightAggregate = combined.aggregate;
        if (!rightWindowExists && rightAggregate && rightAggregate.timestamp > t)
          createRightWindow(record, rightAggregate);
        if (previousRecordTime !== undefined && !starts.has(previousRecordTime + 1))
          addTo(record, closeTime, previousRecordTime + 1, undefined);
        addTo(record, closeTime, 0, combined?.aggregate);
      };

      /**
       * Kafka Streams' `processReverse` (what it runs on stores that read backwards, as its default ones
       * do): the windows that can contain t, and the one holding the record just before t, latest start
       * first, which is also the order updates are forwarded in. It stops at the record's left window when
       * that already holds a later record (the windows before it need nothing), or at the first window
       * ending before t (the previous record's).
       */
      const processReverse = (record: StreamRecord<K, V>, closeTime: number): void => {
        const t = record.timestamp;
        let leftAggregate: Aggregate | undefined;
        let rightAggregate: Aggregate | undefined;
        let leftWindowExists = false;
        let rightWindowExists = false;
        let previousRecordTime: number | undefined;
        const starts = new Set<number>();
        for (const window of fetch(record.key, t - 2 * d, t + 1).reverse()) {
          starts.add(window.start);
          const end = window.start + d;
          const newest = window.aggregate.timestamp;
          if (window.start === t + 1) rightWindowExists = true;
          else if (end > t) {
            rightAggregate ??= window.aggregate;
            addTo(record, closeTime, window.start, window.aggregate);
          } else if (end === t) {
            leftWindowExists = true;
            addTo(record, closeTime, window.start, window.aggregate);
            if (newest >= t) return;
            previousRecordTime = newest;
          } else {
            leftAggregate = window.aggregate;
            previousRecordTime = newest;
            break;
          }
        }

        // The previous record's right window, if the new record falls into it and it does not exist yet.
        if (previousRecordTime !== undefined) {
          const start = previousRecordTime + 1;
          if (!starts.has(start) && start + d >= t) addTo(record, closeTime, start, undefined);
        }
        if (!leftWindowExists) {
          // The left window holds the previous record (the newest in `leftAggregate`, when there is one)
          // and those before it within d, if it is close enough.
          const seed = leftAggregate && t - d <= leftAggregate.timestamp ? leftAggregate.value : undefined;
          addTo(record, closeTime, t - d, undefined, seed);
        }
        if (!rightWindowExists && rightAggregate && rightAggregate.timestamp > t)
          createRightWindow(record, rightAggregate);
      };

      const progress = emit.onUpdate ? undefined : new EmitFinalProgress(store);
      /** Kafka Streams' `KStreamSlidingWindowAggregate` range of closed windows to emit. */
      const emitFinal = (record: StreamRecord<K, V>, closeTime: number): void => {
        if (!progress?.due(closeTime)) return;
        const upper = closeTime - d - 1;
        if (upper < 0) return;
        const last = progress.lastEmitCloseTime;
        emitClosedWindows(context, store, record, last === -1 ? 0 : Math.max(0, last - d), upper);
        progress.emitted(closeTime);
      };

      return (record) => {
        observedStreamTime = Math.max(observedStreamTime, record.timestamp);
        const closeTime = observedStreamTime - spec.graceMs;
        if (record.timestamp + d < closeTime) {
          recordDropped(context, 'expired-window', record, {
            window: `[${record.timestamp},${record.timestamp + d}]`,
            expiration: closeTime,
            streamTime: observedStreamTime,
          });
          return;
        }
        // As in Kafka Streams, only records after the first time difference look for closed windows.
        if (record.timestamp < d) processEarly(record, closeTime);
        else {
          processReverse(record, closeTime);
          emitFinal(record, closeTime);
        }
      };
    },
  );
}

function unexpectedWindow(start: number, timestamp: number): Error {
  return new Error(
    `sliding window aggregation found a window starting at ${start} that cannot exist next to a record at ${timestamp}; the store is inconsistent`,
  );
}
