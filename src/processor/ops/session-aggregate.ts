import type { KeyValue } from '../record.ts';
import {
  isCachedStore,
  type SessionStore,
  type StateStore,
  type Window,
  type Windowed,
} from '../../state/api.ts';
import type { SessionWindowsSpec } from './specs.ts';
import type { ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change, type Change } from '../change.ts';
import { recordDropped } from '../internal-context.ts';
import { streamRecord, type StreamRecord } from '../record.ts';
import { groupedStreamProcessor } from './aggregate.ts';
import { EmitFinalProgress, forwardFinal, retainedSessions } from './emit-final.ts';
import type { WindowEmit } from './windowed-aggregate.ts';
import type { SessionAggregation } from './aggregation-functions.ts';
import type { TableValueGetterSupplier } from './value-getter.ts';

/**
 * Aggregates a grouped stream per session: Kafka Streams' `KStreamSessionWindowAggregate`. A key's
 * records no more than `gapMs` apart belong to one session [first, last] (both ends inclusive). A
 * record starts a new session, extends one, or bridges several into one: every session that ends
 * within the gap before it or starts within the gap after it is merged (aggregates combined with the
 * merger). When the merged session is more than the record's own point in time, every merged session
 * is removed and forwarded as a delete (new value null; old value its aggregate when old values are
 * sent), even one whose window the merged session keeps; then the merged session is stored and
 * forwarded (old value null).
 *
 * A session is closed once stream time (the largest timestamp this processor has seen) is past its end
 * plus the gap plus grace; a record that would only touch closed sessions is dropped. Records with a
 * null key are dropped; a null value goes to the aggregator. Updates carry the session's end as their
 * timestamp and no headers (Kafka Streams forwards them as new records).
 */
export function sessionAggregateProcessor<K, V, VA>(
  storeName: string,
  spec: SessionWindowsSpec,
  aggregation: SessionAggregation<K, V, VA>,
  emit: WindowEmit,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return groupedStreamProcessor<SessionStore<K, VA>, K, V, Windowed<K>, Change<VA>>(
    storeName,
    (context, store) => {
      let observedStreamTime = -1;
      const forward = sessionForwarder(context, store, emit);
      const progress = emit.onUpdate ? undefined : new EmitFinalProgress(store);
      /**
       * Kafka Streams' emit-on-window-close for sessions: the sessions that ended in [last close time,
       * close time - 1] (both ends of a session are inclusive), in order of their end.
       */
      const emitFinal = (record: StreamRecord<K, V>, closeTime: number): void => {
        if (!progress?.due(closeTime)) return;
        const upper = closeTime - 1;
        if (upper < 0) return;
        const lower = Math.max(0, progress.lastEmitCloseTime);
        if (upper < lower) return;
        // In order of end, then start, as Kafka Streams' time-ordered session store holds them.
        const closed = retainedSessions(store, lower, upper).sort(
          (a, b) => a.key.window.end - b.key.window.end || a.key.window.start - b.key.window.start,
        );
        for (const { key, value } of closed) forwardFinal(context, record, key, value, key.window.end);
        progress.emitted(closeTime);
      };
      return (record) => {
        const t = record.timestamp;
        observedStreamTime = Math.max(observedStreamTime, t);
        const closeTime = observedStreamTime - spec.graceMs - spec.gapMs;
        const overlapping: KeyValue<Windowed<K>, VA>[] = [
          ...store.findSessions(record.key, t - spec.gapMs, t + spec.gapMs),
        ];
        let aggregate = aggregation.initializer();
        let window: Window = { start: t, end: t };
        for (const session of overlapping) {
          aggregate = aggregation.merger(record.key, aggregate, session.value);
          window = {
            start: Math.min(window.start, session.key.window.start),
            end: Math.max(window.end, session.key.window.end),
          };
        }
        if (window.end < closeTime) {
          recordDropped(context, 'expired-window', record, {
            window: `[${window.start},${window.end}]`,
            expiration: closeTime,
            streamTime: observedStreamTime,
          });
          emitFinal(record, closeTime);
          return;
        }
        if (window.start !== t || window.end !== t) {
          for (const session of overlapping) {
            store.remove(session.key);
            forward(session.key, null, emit.sendOldValues ? session.value : null);
          }
        }
        const merged: Windowed<K> = { key: record.key, window };
        const result = aggregation.aggregator(record.key, record.value, aggregate) ?? null;
        if (result === null) store.remove(merged);
        else store.put(merged, result);
        forward(merged, result, null);
        emitFinal(record, closeTime);
      };
    },
    'null-key',
  );
}

/**
 * How a session aggregation hands on a session's update: Kafka Streams' `SessionTupleForwarder`. Over
 * a plain store every update is forwarded at once, with the session's end as timestamp and no headers.
 * Over a caching store the cache's flush forwards each session's latest value (or its removal) once,
 * with the value the store held as old value when old values are sent, the session's end as timestamp
 * (`SessionCacheFlushListener`) and the headers of the record that last wrote it. Emitting on window
 * close, nothing is forwarded on update.
 */
function sessionForwarder<K, VA>(
  context: ProcessorContext<Windowed<K>, Change<VA>>,
  store: StateStore,
  emit: WindowEmit,
): (session: Windowed<K>, newValue: VA | null, oldValue: VA | null) => void {
  if (!emit.onUpdate) return () => undefined;
  if (!isCachedStore<Windowed<K>, VA>(store))
    return (session, newValue, oldValue) =>
      context.forward(streamRecord(session, change(newValue, oldValue), session.window.end));
  store.setFlushListener((flushed) => {
    const session = flushed.key;
    context.forward(
      streamRecord(session, change(flushed.newValue, flushed.oldValue), session.window.end, flushed.headers),
    );
  }, emit.sendOldValues);
  return () => undefined;
}

/** Values of a session table: the session's aggregate, timestamped with the session's end. */
export function sessionStoreValueGetter<K, V>(storeName: string): TableValueGetterSupplier<Windowed<K>, V> {
  return {
    storeNames: [storeName],
    get: () => {
      let store: SessionStore<K, V>;
      return {
        init: (context) => {
          store = context.getStateStore(storeName);
        },
        get: (windowed) => {
          const value = store.fetchSession(windowed.key, windowed.window.start, windowed.window.end);
          return value === undefined ? undefined : { value, timestamp: windowed.window.end };
        },
      };
    },
  };
}
