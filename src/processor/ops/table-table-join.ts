import type { Processor, ProcessorContext, ProcessorSupplier } from '../api.ts';
import { change, isLatest, type Change } from '../change.ts';
import { recordDropped } from '../internal-context.ts';
import { withValue } from '../record.ts';
import type { ValueAndTimestamp } from '../../state/api.ts';
import type { JoinType } from './specs.ts';
import type { TableValueGetter, TableValueGetterSupplier } from './value-getter.ts';
import { absent, type JoinerFn } from './join-common.ts';
import { tableForwarder, type TableForwarder } from './table-forwarder.ts';
import { tableStore, type TableStore } from './table-store.ts';

/**
 * Which of Kafka Streams' table-join processors runs on an input: both inputs of an inner join run
 * `inner`, both of an outer join `outer`; a left join runs `left` on its left input and `right` on its
 * right input.
 */
export type TableJoinKind = 'inner' | 'left' | 'right' | 'outer';

/** The processor each input of a `joinType` join runs. */
export function tableJoinKinds(joinType: JoinType): { left: TableJoinKind; right: TableJoinKind } {
  return joinType === 'left' ? { left: 'left', right: 'right' } : { left: joinType, right: joinType };
}

/**
 * One input of a table-table join: Kafka Streams' `KTableKTableInnerJoin`, `...LeftJoin`,
 * `...RightJoin` and `...OuterJoin`, rule for rule. Each change of this input is joined with the other
 * input's current value (read through its getter). The new value is the joined row (null when this
 * input's row is gone and the join keeps no row); the old value, only when old values are sent, is
 * the old row joined the same way, so downstream can retract it. What is forwarded, and when nothing
 * is, follows each join's rules: an inner join forwards whenever the other side has a row, even a
 * delete of a row it never had. The result's timestamp is the later of the two rows'. `joiner` takes
 * this input's value first (the compiler reverses the user's joiner for the right input).
 */
export function tableJoinProcessor<K, V, VO, VR>(options: {
  readonly kind: TableJoinKind;
  readonly otherGetter: TableValueGetterSupplier<K, VO>;
  readonly joiner: JoinerFn<V | null, VO | null, K, VR>;
  readonly sendOldValues: boolean;
  /** This side reads a versioned table: its out-of-order updates are skipped (KIP-914). */
  readonly versionedSemantics?: boolean;
}): ProcessorSupplier<K, Change<V>, K, Change<VR>> {
  const { kind, otherGetter, joiner, sendOldValues, versionedSemantics = false } = options;
  const joined = (value: V | null | undefined, other: VO | null | undefined, key: K) =>
    joiner(absent(value) ? null : value, absent(other) ? null : other, key);
  return () => {
    let context: ProcessorContext<K, Change<VR>>;
    let getter: TableValueGetter<K, VO>;
    const processor: Processor<K, Change<V>, K, Change<VR>> = {
      init: (c) => {
        context = c;
        getter = otherGetter.get();
        getter.init(c);
      },
      process: (record) => {
        if (absent(record.key)) {
          recordDropped(context, 'null-key', record);
          return;
        }
        const latest = isLatest(record.value);
        if (versionedSemantics && !latest) {
          recordDropped(context, 'out-of-order-version', record);
          return;
        }
        const other = getter.get(record.key);
        const otherValue = other === undefined || absent(other.value) ? null : other.value;
        const { newValue, oldValue } = record.value;
        const hasNew = !absent(newValue);
        const hasOld = !absent(oldValue);
        if (otherValue === null && (kind === 'inner' || kind === 'right' || (!hasNew && !hasOld))) return;
        let result: Change<VR>;
        switch (kind) {
          case 'inner':
          case 'left':
            result = change(
              hasNew ? joined(newValue, otherValue, record.key) : null,
              sendOldValues && hasOld ? joined(oldValue, otherValue, record.key) : null,
              latest,
            );
            break;
          case 'right':
            result = change(
              joined(newValue, otherValue, record.key),
              sendOldValues ? joined(oldValue, otherValue, record.key) : null,
              latest,
            );
            break;
          case 'outer':
            result = change(
              otherValue !== null || hasNew ? joined(newValue, otherValue, record.key) : null,
              sendOldValues && (otherValue !== null || hasOld)
                ? joined(oldValue, otherValue, record.key)
                : null,
              latest,
            );
            break;
        }
        const timestamp =
          other === undefined || otherValue === null
            ? record.timestamp
            : Math.max(record.timestamp, other.timestamp);
        context.forward({ ...withValue(record, result), timestamp });
      },
      close: () => getter.close?.(),
    };
    return processor;
  };
}

/**
 * Forwards what either join processor produced (Kafka Streams' `KTableKTableJoinMerger`), keeping it
 * in the result's store when the join is materialized; old values only when they are sent. A
 * materialized result forwards through its store: when that caches, as the cache flushes.
 */
export function tableJoinMergeProcessor<K, V>(
  storeName: string | undefined,
  sendOldValues: boolean,
  versioned = false,
): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => {
    let store: TableStore<K, V> | undefined;
    let forwarder: TableForwarder<K, V>;
    const processor: Processor<K, Change<V>, K, Change<V>> = {
      init: (c) => {
        if (storeName) store = tableStore(c, storeName, versioned);
        forwarder = storeName
          ? tableForwarder(c, c.getStateStore(storeName), sendOldValues)
          : { maybeForward: (record) => c.forward(record) };
      },
      process: (record) => {
        const { newValue, oldValue } = record.value;
        // A materialized join says itself whether the row is its latest; a versioned store may refuse
        // a row older than its history retention, which is then not forwarded either.
        let latest = isLatest(record.value);
        if (store) {
          const written = store.put(record.key, absent(newValue) ? null : newValue, record.timestamp);
          if (written === 'refused') return;
          latest = written === 'latest';
        }
        forwarder.maybeForward(withValue(record, change(newValue, sendOldValues ? oldValue : null, latest)));
      },
    };
    return processor;
  };
}

/** Whether the join has a row for a left value next to a right value. */
function hasRow(joinType: JoinType, left: unknown, right: unknown): boolean {
  if (joinType === 'inner') return !absent(left) && !absent(right);
  if (joinType === 'outer') return !absent(left) || !absent(right);
  return !absent(left);
}

/** Reads the join's current value for a key from both sides' getters, when the result has no store. */
export function tableJoinValueGetter<K, VL, VR, VJ>(
  joinType: JoinType,
  left: TableValueGetterSupplier<K, VL>,
  right: TableValueGetterSupplier<K, VR>,
  joiner: JoinerFn<VL | null, VR | null, K, VJ>,
): TableValueGetterSupplier<K, VJ> {
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
        close: () => {
          try {
            leftGetter.close?.();
          } finally {
            rightGetter.close?.();
          }
        },
        get: (key): ValueAndTimestamp<VJ> | undefined => {
          const l = present(leftGetter.get(key));
          // Only look at the right side when its value can matter (inner and left joins need a left row).
          if (!l && joinType !== 'outer') return undefined;
          const r = present(rightGetter.get(key));
          if (!hasRow(joinType, l?.value, r?.value)) return undefined;
          return {
            value: joiner(l?.value ?? null, r?.value ?? null, key),
            timestamp: Math.max(l?.timestamp ?? -1, r?.timestamp ?? -1),
          };
        },
      };
    },
  };
}

function present<V>(value: ValueAndTimestamp<V> | undefined): ValueAndTimestamp<V> | undefined {
  return value === undefined || absent(value.value) ? undefined : value;
}
