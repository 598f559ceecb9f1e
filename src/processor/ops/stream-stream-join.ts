import type { Processor, ProcessorContext, ProcessorSupplier } from '../api.ts';
import { recordDropped } from '../internal-context.ts';
import type { StreamRecord } from '../record.ts';
import type { KeyValueStore, StateStore, WindowStore } from '../../state/api.ts';
import type { JoinType, JoinWindowsSpec } from './specs.ts';
import { absent, type JoinerFn } from './join-common.ts';
import type { JoinSide, OuterKey, OuterValues } from './stream-join-outer-store.ts';

/**
 * Keeps each record of one join input in that input's window store, keyed by its timestamp, until the
 * store's retention has passed. The record goes on to the join processor first and is stored after,
 * so a record never meets itself in a self-join's store. Records with a null key can never join and
 * are not kept (the store ignores null values).
 */
export function joinWindowProcessor<K, V>(storeName: string): ProcessorSupplier<K, V, K, V> {
  return () => {
    let context: ProcessorContext<K, V>;
    let store: WindowStore<K, V>;
    return {
      init: (c) => {
        context = c;
        store = c.getStateStore(storeName);
      },
      process: (record) => {
        context.forward(record);
        if (!absent(record.key)) store.put(record.key, record.value, record.timestamp);
      },
    };
  };
}

export interface StreamJoinOptions<K, VL, VR, VOut> {
  readonly joinType: JoinType;
  readonly windows: JoinWindowsSpec;
  readonly leftStoreName: string;
  readonly rightStoreName: string;
  /** Records still without a partner (left and outer joins). */
  readonly outerStoreName: string | undefined;
  /** The user's joiner, (leftValue, rightValue, key); null stands for the missing partner. */
  readonly joiner: JoinerFn<VL | null, VR | null, K, VOut>;
}

/**
 * One input's view of the join: its own value type `V`, the other input's `VO`, and how its values
 * meet the user's joiner and the store of waiting records, which holds both inputs' values.
 */
interface JoinInput<K, VL, VR, V, VO, VOut> {
  readonly side: JoinSide;
  /** The user's joiner with this input's value first. */
  readonly join: (value: V, otherValue: VO | null, key: K) => VOut;
  /** This input's values waiting in an entry (an entry of the same key, time and side is always its own). */
  readonly waiting: (entry: OuterValues<VL, VR> | undefined) => readonly V[];
  readonly entry: (values: readonly V[]) => OuterValues<VL, VR>;
}

/** The processor of a stream-stream join's left input (see `streamJoinProcessor`). */
export function leftStreamJoinProcessor<K, VL, VR, VOut>(
  options: StreamJoinOptions<K, VL, VR, VOut>,
): ProcessorSupplier<K, VL, K, VOut> {
  const { joiner } = options;
  return streamJoinProcessor<K, VL, VR, VL, VR, VOut>(options, {
    side: 'left',
    join: (value, otherValue, key) => joiner(value, otherValue, key),
    waiting: (entry) => (entry?.side === 'left' ? entry.values : []),
    entry: (values) => ({ side: 'left', values }),
  });
}

/** The processor of a stream-stream join's right input (see `streamJoinProcessor`). */
export function rightStreamJoinProcessor<K, VL, VR, VOut>(
  options: StreamJoinOptions<K, VL, VR, VOut>,
): ProcessorSupplier<K, VR, K, VOut> {
  const { joiner } = options;
  return streamJoinProcessor<K, VL, VR, VR, VL, VOut>(options, {
    side: 'right',
    join: (value, otherValue, key) => joiner(otherValue, value, key),
    waiting: (entry) => (entry?.side === 'right' ? entry.values : []),
    entry: (values) => ({ side: 'right', values }),
  });
}

/**
 * The time both sides' processors of one task share (Kafka Streams' `TimeTracker`): the join's stream
 * time, and `minTime`, a hint of the earliest waiting record, which decides whether a look for closed
 * windows is worth it. `minTime` follows Kafka Streams' bookkeeping exactly (it is the timestamp of
 * the last waiting record looked at, lowered by every record put to wait), because it decides when
 * unmatched records are emitted.
 */
interface JoinTimeTracker {
  streamTime: number;
  /** `NO_MIN_TIME` until a look for closed windows or a waiting record sets it (again after a restart). */
  minTime: number;
}

/** Kafka Streams' `Long.MAX_VALUE` starting value of `minTime`. */
const NO_MIN_TIME = Number.POSITIVE_INFINITY;

const trackers = new WeakMap<StateStore, JoinTimeTracker>();

/**
 * One input of a windowed stream-stream join: Kafka Streams' `KStreamKStreamJoin` processor, one per
 * side. A record joins every record of the other input with the same key whose timestamp lies within
 * [ts - before, ts + after] (for the right input, before and after swap), bounds included and clamped
 * at 0; each result takes the later timestamp of the pair and the headers of the record that arrived.
 * The lookup is bounded only by the other side's window store, which keeps records for before + after
 * + grace behind the latest timestamp stored in it: a record that comes late, within grace, still finds
 * its partners.
 *
 * A left (or outer) join holds a record that found no partner in the outer store, unless its own window
 * has already passed (ts + after < stream time: it is emitted joined with null at once). A record that
 * arrives in timestamp order (its timestamp is the stream time) first looks for waiting records whose
 * window and grace have passed (ts + after + grace < stream time; for right records ts + before +
 * grace), in timestamp order, and emits them joined with null, with its own headers. Waiting records
 * that find a partner are removed. Kafka Streams throttles this look by wall-clock time
 * (`emit.interval.ms.kstreams.outer.join.spurious.results.fix`, 1 s by default); Tributary looks every
 * time, as Kafka Streams' TopologyTestDriver does, so results do not depend on the wall clock.
 *
 * Records with a null key or value are dropped, except that an outer side emits a record with a null
 * key (and a value) joined with null at once.
 */
function streamJoinProcessor<K, VL, VR, V, VO, VOut>(
  options: StreamJoinOptions<K, VL, VR, VOut>,
  input: JoinInput<K, VL, VR, V, VO, VOut>,
): ProcessorSupplier<K, V, K, VOut> {
  const { joinType, joiner } = options;
  const { side, join } = input;
  const { beforeMs, afterMs, graceMs } = options.windows;
  const other: JoinSide = side === 'left' ? 'right' : 'left';
  /** How far ahead of a record of side `s` its window reaches. */
  const lookAhead = (s: JoinSide) => (s === 'left' ? afterMs : beforeMs);
  const lookBack = lookAhead(other);
  const outer = joinType === 'outer' || (joinType === 'left' && side === 'left');
  /** Whether a waiting record of side `s` at `timestamp` may still find a partner. */
  const windowOpen = (timestamp: number, s: JoinSide, streamTime: number) =>
    timestamp + lookAhead(s) + graceMs >= streamTime;

  return () => {
    let context: ProcessorContext<K, VOut>;
    let otherStore: WindowStore<K, VO>;
    let outerStore: KeyValueStore<OuterKey<K>, OuterValues<VL, VR>> | undefined;
    let tracker: JoinTimeTracker;

    /** True when no waiting record can have closed yet (the cheap test Kafka Streams makes first). */
    function nothingDue(): boolean {
      const reach = lookAhead(side) + graceMs;
      // Kafka Streams adds to Long.MAX_VALUE here: with a positive reach that overflows to a negative
      // number and it looks; otherwise it waits for the next waiting record to set minTime.
      if (tracker.minTime === NO_MIN_TIME) return reach <= 0;
      return tracker.minTime + reach >= tracker.streamTime;
    }

    function emitClosed(
      waitingStore: KeyValueStore<OuterKey<K>, OuterValues<VL, VR>>,
      trigger: StreamRecord<K, V>,
    ): void {
      if (nothingDue()) return;
      const streamTime = tracker.streamTime;
      tracker.minTime = NO_MIN_TIME;
      const open: Record<JoinSide, boolean> = { left: false, right: false };
      for (const { key, value } of waitingStore.all()) {
        tracker.minTime = key.timestamp;
        // Entries come in time order, so once both sides have an open one, all later ones are open.
        if (open.left && open.right) break;
        if (windowOpen(key.timestamp, key.side, streamTime)) {
          open[key.side] = true;
          continue;
        }
        const emit = (result: VOut) =>
          context.forward({
            key: key.key,
            value: result,
            timestamp: key.timestamp,
            headers: trigger.headers,
          });
        if (value.side === 'left') for (const v of value.values) emit(joiner(v, null, key.key));
        else for (const v of value.values) emit(joiner(null, v, key.key));
        waitingStore.delete(key);
      }
    }

    const processor: Processor<K, V, K, VOut> = {
      init: (c) => {
        context = c;
        otherStore = c.getStateStore(side === 'left' ? options.rightStoreName : options.leftStoreName);
        if (options.outerStoreName) outerStore = c.getStateStore(options.outerStoreName);
        const leftStore = c.getStateStore(options.leftStoreName);
        tracker = trackers.get(leftStore) ?? { streamTime: -1, minTime: NO_MIN_TIME };
        trackers.set(leftStore, tracker);
      },
      process: (record) => {
        const timestamp = record.timestamp;
        // Even records that cannot join move the join's stream time on.
        tracker.streamTime = Math.max(tracker.streamTime, timestamp);
        if (outer && absent(record.key) && !absent(record.value)) {
          context.forward({ ...record, value: join(record.value, null, record.key) });
          return;
        }
        if (absent(record.key) || absent(record.value)) {
          recordDropped(context, 'null-key-or-value', record);
          return;
        }
        if (outerStore && timestamp === tracker.streamTime) emitClosed(outerStore, record);

        const from = Math.max(0, timestamp - lookBack);
        const to = Math.max(0, timestamp + lookAhead(side));
        let matched = false;
        for (const partner of otherStore.fetchWindows(record.key, from, to)) {
          matched = true;
          // The partner has found a match: it will never need a null result.
          outerStore?.delete({ timestamp: partner.windowStart, side: other, key: record.key });
          context.forward({
            ...record,
            value: join(record.value, partner.value, record.key),
            timestamp: Math.max(timestamp, partner.windowStart),
          });
        }
        if (matched || !outer) return;
        if (!outerStore || to < tracker.streamTime) {
          context.forward({ ...record, value: join(record.value, null, record.key) });
          return;
        }
        tracker.minTime = Math.min(tracker.minTime, timestamp);
        const key = { timestamp, side, key: record.key };
        outerStore.put(key, input.entry([...input.waiting(outerStore.get(key)), record.value]));
      },
    };
    return processor;
  };
}
