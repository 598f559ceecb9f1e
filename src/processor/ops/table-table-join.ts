import type { Processor, ProcessorContext } from '../api.ts';
import { change, type Change } from '../change.ts';
import { recordDropped } from '../internal-context.ts';
import { withValue, type StreamRecord } from '../record.ts';
import type { TimestampedKeyValueStore, ValueAndTimestamp } from '../../state/api.ts';
import type { JoinType } from '../../topology/ir.ts';
import type { TableValueGetter, TableValueGetterSupplier } from './value-getter.ts';
import { absent, type AnySupplier, type JoinerFn } from './join-common.ts';

type ChangeRecord = StreamRecord<unknown, Change<unknown>>;

/**
 * Which input a join processor reads. The right input of a left join keeps rows only while the left
 * side has one; for inner and outer joins both sides behave alike.
 */
export type TableJoinSide = 'left' | 'right';

/**
 * Whether the join has a row for this side's value `value` next to the other side's `other`: inner
 * joins need both, outer joins either, and a left join follows its left side's rows.
 */
function hasRow(joinType: JoinType, side: TableJoinSide, value: unknown, other: unknown): boolean {
  if (joinType === 'inner') return !absent(value) && !absent(other);
  if (joinType === 'outer') return !absent(value) || !absent(other);
  return side === 'left' ? !absent(value) : !absent(other);
}

/**
 * One input of a table-table join: each change of this side is joined with the other side's current
 * value (read through its getter), for the new and for the old value, so downstream can retract the
 * previous result; a row that disappears becomes a tombstone. Changes that touch no row of the result
 * are not forwarded. The result's timestamp is the later of the two rows'. `joiner` takes this side's
 * value first (the compiler reverses the user's joiner for the right side).
 */
export function tableJoinProcessor(options: {
  readonly joinType: JoinType;
  readonly side: TableJoinSide;
  readonly otherGetter: TableValueGetterSupplier<unknown, unknown>;
  readonly joiner: JoinerFn;
}): AnySupplier {
  const { joinType, side, otherGetter, joiner } = options;
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let getter: TableValueGetter<unknown, unknown>;
    const processor: Processor<unknown, Change<unknown>, unknown, unknown> = {
      init: (c) => {
        context = c;
        getter = otherGetter.get();
        getter.init(c);
      },
      process: (record: ChangeRecord) => {
        if (absent(record.key)) {
          recordDropped(context, 'null-key', record);
          return;
        }
        const other = getter.get(record.key);
        const otherValue = other === undefined || absent(other.value) ? null : other.value;
        const { newValue, oldValue } = record.value;
        const newRow = hasRow(joinType, side, newValue, otherValue);
        const oldRow = hasRow(joinType, side, oldValue, otherValue);
        if (!newRow && !oldRow) return;
        const join = (value: unknown, row: boolean) =>
          row ? joiner(absent(value) ? null : value, otherValue, record.key) : null;
        const joined = change(join(newValue, newRow), join(oldValue, oldRow));
        const timestamp =
          otherValue === null ? record.timestamp : Math.max(record.timestamp, other!.timestamp);
        context.forward({ ...withValue(record, joined), timestamp });
      },
    };
    return processor as Processor<unknown, unknown, unknown, unknown>;
  };
}

/**
 * Forwards what either join processor produced, keeping it in the result's store when the join is
 * materialized.
 */
export function tableJoinMergeProcessor(storeName: string | undefined): AnySupplier {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let store: TimestampedKeyValueStore<unknown, unknown> | undefined;
    const processor: Processor<unknown, Change<unknown>, unknown, unknown> = {
      init: (c) => {
        context = c;
        if (storeName) store = c.getStateStore(storeName);
      },
      process: (record: ChangeRecord) => {
        const { newValue } = record.value;
        store?.put(record.key, absent(newValue) ? null : { value: newValue, timestamp: record.timestamp });
        context.forward(record);
      },
    };
    return processor as Processor<unknown, unknown, unknown, unknown>;
  };
}

/** Reads the join's current value for a key from both sides' getters, when the result has no store. */
export function tableJoinValueGetter(
  joinType: JoinType,
  left: TableValueGetterSupplier<unknown, unknown>,
  right: TableValueGetterSupplier<unknown, unknown>,
  joiner: JoinerFn,
): TableValueGetterSupplier<unknown, unknown> {
  return {
    storeNames: [...new Set([...left.storeNames, ...right.storeNames])],
    get: () => {
      const leftGetter = left.get();
      const rightGetter = right.get();
      return {
        init: (context) => {
          leftGetter.init(context);
          rightGetter.init(context);
        },
        get: (key): ValueAndTimestamp<unknown> | undefined => {
          const l = present(leftGetter.get(key));
          // Only look at the right side when its value can matter (inner and left joins need a left row).
          if (!l && joinType !== 'outer') return undefined;
          const r = present(rightGetter.get(key));
          if (!hasRow(joinType, 'left', l?.value, r?.value)) return undefined;
          return {
            value: joiner(l?.value ?? null, r?.value ?? null, key),
            timestamp: Math.max(l?.timestamp ?? -1, r?.timestamp ?? -1),
          };
        },
      };
    },
  };
}

function present(value: ValueAndTimestamp<unknown> | undefined): ValueAndTimestamp<unknown> | undefined {
  return value === undefined || absent(value.value) ? undefined : value;
}
