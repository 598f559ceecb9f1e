import type { Processor, ProcessorContext } from '../api.ts';
import { recordDropped } from '../internal-context.ts';
import { NO_HEADERS, type StreamRecord } from '../record.ts';
import type { KeyValueStore, StateStore, WindowStore } from '../../state/api.ts';
import type { JoinType, JoinWindowsSpec } from '../../topology/ir.ts';
import { absent, type AnySupplier, type JoinerFn } from './join-common.ts';
import type { JoinSide, OuterKey, OuterValues } from './stream-join-outer-store.ts';

/**
 * Keeps each record of one join input in that input's window store, keyed by its timestamp, until the
 * store's retention has passed. Records with a null key can never join and are not kept.
 */
export function joinWindowProcessor(storeName: string): AnySupplier {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let store: WindowStore<unknown, unknown>;
    return {
      init: (c) => {
        context = c;
        store = c.getStateStore(storeName);
      },
      process: (record) => {
        context.forward(record);
        if (!absent(record.key) && !absent(record.value))
          store.put(record.key, record.value, record.timestamp);
      },
    };
  };
}

export interface StreamJoinOptions {
  readonly side: JoinSide;
  readonly joinType: JoinType;
  readonly windows: JoinWindowsSpec;
  readonly leftStoreName: string;
  readonly rightStoreName: string;
  /** Records still without a partner (left and outer joins). */
  readonly outerStoreName: string | undefined;
  /** The user's joiner, (leftValue, rightValue, key). */
  readonly joiner: JoinerFn;
}

/** What both sides' processors of one task share: the join's stream time and when to look for closed windows. */
interface JoinClock {
  streamTime: number;
  /** The earliest time a waiting record's window closes; -Infinity when unknown (after a restart). */
  nextClose: number;
}

const clocks = new WeakMap<StateStore, JoinClock>();

/**
 * One input of a windowed stream-stream join. A record joins every record of the other input with the
 * same key whose timestamp lies within [ts - before, ts + after] (for the right input, before and after
 * swap); bounds are inclusive and each result takes the later timestamp of the pair.
 *
 * A record's window closes once the join's stream time passes ts + after + grace (right input: ts +
 * before + grace). Partners whose window has already closed are no longer joined: their result, or
 * their null result, is final. A left (or outer) join holds records that found no partner in the outer
 * store and emits them joined with null only once their window has closed, so a partner arriving in
 * time never meets a null result emitted before it. A record whose window closed before it arrived is
 * emitted with null at once when it finds no partner.
 *
 * Records with a null value are dropped. A null key matches nothing: an outer side emits the record with
 * null at once, otherwise it is dropped.
 */
export function streamJoinProcessor(options: StreamJoinOptions): AnySupplier {
  const { side, joinType, joiner } = options;
  const { beforeMs, afterMs, graceMs } = options.windows;
  const other: JoinSide = side === 'left' ? 'right' : 'left';
  const lookAhead = (s: JoinSide) => (s === 'left' ? afterMs : beforeMs);
  const lookBack = lookAhead(other);
  const closeOf = (timestamp: number, s: JoinSide) => timestamp + lookAhead(s) + graceMs;
  const emitsUnmatched = (s: JoinSide) => joinType === 'outer' || (joinType === 'left' && s === 'left');
  const join = (s: JoinSide, value: unknown, otherValue: unknown, key: unknown) =>
    s === 'left' ? joiner(value, otherValue, key) : joiner(otherValue, value, key);

  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let otherStore: WindowStore<unknown, unknown>;
    let outerStore: KeyValueStore<OuterKey<unknown>, OuterValues<unknown>> | undefined;
    let clock: JoinClock;

    function emitClosed(): void {
      const streamTime = clock.streamTime;
      const nextClose: Record<JoinSide, number> = { left: Infinity, right: Infinity };
      for (const { key, value } of outerStore!.all()) {
        const close = closeOf(key.timestamp, key.side);
        if (close >= streamTime) {
          // Entries come in time order, so this side's later entries are open too.
          nextClose[key.side] = Math.min(nextClose[key.side], close);
          if (nextClose.left !== Infinity && (joinType !== 'outer' || nextClose.right !== Infinity)) break;
          continue;
        }
        for (const v of value.values) {
          context.forward({
            key: key.key,
            value: join(key.side, v, null, key.key),
            timestamp: key.timestamp,
            headers: NO_HEADERS,
          });
        }
        outerStore!.delete(key);
      }
      clock.nextClose = Math.min(nextClose.left, nextClose.right);
    }

    function holdUnmatched(record: StreamRecord<unknown, unknown>): void {
      const key = { timestamp: record.timestamp, side, key: record.key };
      const waiting = outerStore!.get(key);
      outerStore!.put(key, { side, values: [...(waiting?.values ?? []), record.value] });
      clock.nextClose = Math.min(clock.nextClose, closeOf(record.timestamp, side));
    }

    const processor: Processor<unknown, unknown, unknown, unknown> = {
      init: (c) => {
        context = c;
        otherStore = c.getStateStore(side === 'left' ? options.rightStoreName : options.leftStoreName);
        if (options.outerStoreName) outerStore = c.getStateStore(options.outerStoreName);
        const leftStore = c.getStateStore(options.leftStoreName);
        clock = clocks.get(leftStore) ?? { streamTime: -Infinity, nextClose: -Infinity };
        clocks.set(leftStore, clock);
      },
      process: (record) => {
        // Even records that cannot join move the join's stream time on.
        clock.streamTime = Math.max(clock.streamTime, record.timestamp);
        if (absent(record.value)) {
          recordDropped(context, 'null-key-or-value', record);
          return;
        }
        if (absent(record.key)) {
          if (emitsUnmatched(side))
            context.forward({ ...record, value: join(side, record.value, null, null) });
          else recordDropped(context, 'null-key-or-value', record);
          return;
        }
        if (outerStore && clock.streamTime > clock.nextClose) emitClosed();

        const streamTime = clock.streamTime;
        // Partners must lie in this record's window and still have an open window of their own.
        const from = Math.max(record.timestamp - lookBack, streamTime - lookBack - graceMs);
        const to = record.timestamp + lookAhead(side);
        let matched = false;
        let lastPartnerTime: number | undefined;
        if (from <= to) {
          for (const partner of otherStore.fetchWindows(record.key, from, to)) {
            matched = true;
            if (outerStore && partner.windowStart !== lastPartnerTime) {
              // The partner has found a match: it will never need a null result.
              outerStore.delete({ timestamp: partner.windowStart, side: other, key: record.key });
              lastPartnerTime = partner.windowStart;
            }
            context.forward({
              ...record,
              value: join(side, record.value, partner.value, record.key),
              timestamp: Math.max(record.timestamp, partner.windowStart),
            });
          }
        }
        if (matched || !emitsUnmatched(side)) return;
        if (closeOf(record.timestamp, side) < streamTime) {
          context.forward({ ...record, value: join(side, record.value, null, record.key) });
        } else {
          holdUnmatched(record);
        }
      },
    };
    return processor;
  };
}
