import type {
  ProcessingContext,
  Processor,
  ProcessorContext,
  ProcessorSupplier,
  PunctuationType,
  Punctuator,
  ValueTransformerWithKey,
  ValueTransformerWithKeySupplier,
} from '../api.ts';
import { ProcessingError, TopologyError, TributaryError } from '../../errors.ts';
import { change, isLatest, type Change } from '../change.ts';
import { recordDropped, warn } from '../internal-context.ts';
import { withValue } from '../record.ts';
import type { StateStore, TimestampedKeyValueStore, ValueAndTimestamp } from '../../state/api.ts';
import { tableForwarder, type TableForwarder } from './table-forwarder.ts';
import { tableStore, type TableStore } from './table-store.ts';
import type { TableValueGetterSupplier } from './value-getter.ts';

/**
 * Turns a stream of upserts into table changes: Kafka Streams' `KTableSource`. Keeps the latest value
 * per key in `storeName` and forwards each update (a delete too, even of a key it never had), with
 * the value it replaced when old values are sent. Records with a null key cannot be a table row and
 * are dropped.
 */
export function tableSourceProcessor<K, V>(
  storeName: string,
  sendOldValues: boolean,
  versioned = false,
): ProcessorSupplier<K, V, K, Change<V>> {
  return () => {
    let context: ProcessorContext<K, Change<V>>;
    let store: TableStore<K, V>;
    let forwarder: TableForwarder<K, V>;
    const processor: Processor<K, V, K, Change<V>> = {
      init: (c) => {
        context = c;
        store = tableStore(c, storeName, versioned);
        forwarder = tableForwarder(c, c.getStateStore(storeName), sendOldValues);
      },
      process: (record) => {
        if (record.key === null || record.key === undefined) {
          recordDropped(context, 'null-key', record);
          return;
        }
        const old = store.get(record.key);
        if (old && record.timestamp < old.timestamp)
          warn(
            context,
            `detected out-of-order table update for ${storeName}, old timestamp ${old.timestamp} new timestamp ${record.timestamp}`,
            { store: storeName, oldTimestamp: old.timestamp, newTimestamp: record.timestamp },
          );
        const value = record.value ?? null;
        // A versioned table keeps an out-of-order update in its history and forwards it as not the
        // latest (KIP-914); one older than the history retention it neither keeps nor forwards.
        const written = store.put(record.key, value, record.timestamp);
        if (written === 'refused') return;
        const latest = written === 'latest';
        forwarder.maybeForward(
          withValue(record, change(value, sendOldValues ? (old?.value ?? null) : null, latest)),
        );
      },
    };
    return processor;
  };
}

/** Keeps a global table's store in step with its topic; it forwards nothing. */
export function globalTableProcessor<K, V>(storeName: string): ProcessorSupplier<K, V> {
  return () => {
    let context: ProcessorContext<never, never>;
    let store: TimestampedKeyValueStore<K, V>;
    return {
      init: (c) => {
        context = c;
        store = c.getStateStore(storeName);
      },
      process: (record) => {
        if (record.key === null || record.key === undefined) {
          recordDropped(context, 'null-key', record);
          return;
        }
        store.put(
          record.key,
          record.value === null || record.value === undefined
            ? null
            : { value: record.value, timestamp: record.timestamp },
        );
      },
    };
  };
}

/**
 * What a derived table computes a row's value with, made once per task: `compute` maps the parent's
 * value (null when the parent has no row) to this table's (null: no row here).
 */
interface RowComputer<K, V, VR> {
  init?(context: ProcessingContext): void;
  compute(key: K, value: V | null): VR | null | undefined;
  close?(): void;
}

/** A row computer of a pure function of present values: an absent row stays absent. */
function ofPresentValues<K, V, VR>(
  fn: (key: K, value: V) => VR | null | undefined,
): () => RowComputer<K, V, VR> {
  const computer: RowComputer<K, V, VR> = {
    compute: (key, value) => (value === null ? null : (fn(key, value) ?? null)),
  };
  return () => computer;
}

/**
 * How a derived table (filter, mapValues, transformValues) handles a change: its computer maps the
 * parent's value. With old values sent, the old value is the table's own previous value (from its
 * store when materialized, else computed from the parent's old value); without, it is null and
 * downstream cannot tell what changed.
 */
interface DerivedTable<K, V, VR> {
  readonly computer: () => RowComputer<K, V, VR>;
  readonly sendOldValues: boolean;
  /**
   * A filter holds back changes that leave nothing (no new and no old value), when it can see old
   * values, unless it reads a versioned table (where such a change may still matter downstream).
   */
  readonly skipEmptyChanges: boolean;
}

/** Where a derived table keeps its rows: its store, versioned or not (undefined: not materialized). */
export interface DerivedTableStore {
  readonly name: string;
  readonly versioned: boolean;
}

/**
 * A materialized derived table forwards through its store (Kafka Streams' `TimestampedTupleForwarder`):
 * when the store caches, its changes reach downstream as the cache flushes them.
 */
function derivedTableProcessor<K, V, VR>(
  table: DerivedTable<K, V, VR> & { store: DerivedTableStore | undefined },
): ProcessorSupplier<K, Change<V>, K, Change<VR>> {
  const { store: storeOptions, sendOldValues, skipEmptyChanges } = table;
  return () => {
    let store: TableStore<K, VR> | undefined;
    let forwarder: TableForwarder<K, VR>;
    const computer = table.computer();
    const computed = (key: K, value: V | null | undefined) => computer.compute(key, value ?? null) ?? null;
    const processor: Processor<K, Change<V>, K, Change<VR>> = {
      init: (c) => {
        computer.init?.(c);
        if (storeOptions) store = tableStore(c, storeOptions.name, storeOptions.versioned);
        forwarder = storeOptions
          ? tableForwarder(c, c.getStateStore(storeOptions.name), sendOldValues)
          : { maybeForward: (record) => c.forward(record) };
      },
      close: () => computer.close?.(),
      process: (record) => {
        const newValue = computed(record.key, record.value.newValue);
        const oldValue = !sendOldValues
          ? null
          : store
            ? (store.get(record.key)?.value ?? null)
            : computed(record.key, record.value.oldValue);
        if (skipEmptyChanges && sendOldValues && newValue === null && oldValue === null) return;
        // A materialized table says itself whether the row is its latest; one that is not passes on
        // what its parent said.
        let latest = isLatest(record.value);
        if (store) {
          const written = store.put(record.key, newValue, record.timestamp);
          if (written === 'refused') return;
          latest = written === 'latest';
        }
        forwarder.maybeForward(withValue(record, change(newValue, oldValue, latest)));
      },
    };
    return processor;
  };
}

/**
 * Kafka Streams' `KTableFilter`. Without old values, a row the predicate rejects is forwarded as a
 * delete, as Kafka Streams does: downstream cannot know whether it was there before.
 */
export function tableFilterProcessor<K, V>(
  predicate: (key: K, value: V) => unknown,
  negate: boolean,
  store: DerivedTableStore | undefined,
  sendOldValues: boolean,
  versionedSemantics = false,
): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return derivedTableProcessor({
    computer: ofPresentValues((key: K, value: V) =>
      Boolean(predicate(key, value)) !== negate ? value : null,
    ),
    store,
    sendOldValues,
    skipEmptyChanges: !versionedSemantics,
  });
}

/** Kafka Streams' `KTableMapValues`: every change is forwarded, a delete of an absent row included. */
export function tableMapValuesProcessor<K, V, VR>(
  mapper: (value: V, key: K) => VR | null | undefined,
  store: DerivedTableStore | undefined,
  sendOldValues: boolean,
): ProcessorSupplier<K, Change<V>, K, Change<VR>> {
  return derivedTableProcessor({
    computer: ofPresentValues((key: K, value: V) => mapper(value, key)),
    store,
    sendOldValues,
    skipEmptyChanges: false,
  });
}

/**
 * Kafka Streams' `KTableTransformValues`: each task gets its own transformer, initialized with a
 * context that cannot forward; deletes go through it too. Every change is forwarded; with old values
 * sent, the old value is the store's when materialized, else the transformer's result for the parent's
 * old value (so a stateful transformer is called twice per change, as in Kafka Streams).
 */
export function tableTransformValuesProcessor<K, V, VR>(
  operator: string,
  supplier: ValueTransformerWithKeySupplier<K, V, VR>,
  store: DerivedTableStore | undefined,
  sendOldValues: boolean,
): ProcessorSupplier<K, Change<V>, K, Change<VR>> {
  return derivedTableProcessor({
    computer: () => transformerComputer(operator, supplier),
    store,
    sendOldValues,
    skipEmptyChanges: false,
  });
}

/** A transformer from `supplier` as a row computer: a fresh one each call, initialized without forwarding. */
export function transformerComputer<K, V, VR>(
  operator: string,
  supplier: ValueTransformerWithKeySupplier<K, V, VR>,
): RowComputer<K, V, VR> {
  // A user's supplier may break its contract and return nothing: it is checked, not trusted.
  const transformer: ValueTransformerWithKey<K, V, VR> | null | undefined = supplier();
  if (!transformer || typeof transformer.transform !== 'function')
    throw new TopologyError(
      `${operator}: the ValueTransformerWithKeySupplier returned ${String(transformer)}, not a transformer; it must return a new one on each call`,
    );
  return {
    init: (context) => transformer.init?.(forwardingDisabled(context, operator)),
    compute: (key, value) => transformer.transform(key, value),
    close: () => transformer.close?.(),
  };
}

/**
 * The values of a table `transformValues` derives without a store: Kafka Streams'
 * `KTableTransformValuesGetter`. Each reader gets its own transformer, initialized with the reader's
 * context (so the reader is connected to the transformer's stores too), and the parent's value (or its
 * absence) goes through it, with the parent's timestamp (-1 for a row the parent does not have).
 * Closing the getter closes its transformer, then the parent's getter.
 */
export function transformValuesValueGetter<K, V, VR>(
  operator: string,
  parent: TableValueGetterSupplier<K, V>,
  supplier: ValueTransformerWithKeySupplier<K, V, VR>,
  stores: readonly string[],
): TableValueGetterSupplier<K, VR> {
  return {
    storeNames: [...new Set([...parent.storeNames, ...stores])],
    ...(parent.versioned ? { versioned: parent.versioned } : {}),
    get: () => {
      const upstream = parent.get();
      let computer: RowComputer<K, V, VR> | undefined;
      const transformed = (key: K, row: ValueAndTimestamp<V> | undefined) => {
        if (!computer)
          throw new TributaryError('TRIB_INTERNAL', `${operator}: a value getter was read before its init`);
        const value = computer.compute(key, row?.value ?? null) ?? null;
        return value === null ? undefined : { value, timestamp: row?.timestamp ?? -1 };
      };
      return {
        init: (context) => {
          upstream.init(context);
          computer = transformerComputer(operator, supplier);
          computer.init?.(context);
        },
        get: (key) => transformed(key, upstream.get(key)),
        ...(upstream.getAsOf
          ? { getAsOf: (key: K, asOf: number) => transformed(key, upstream.getAsOf?.(key, asOf)) }
          : {}),
        // The reader's transformer first, then the parent's getter (which may hold transformers too).
        close: () => {
          try {
            computer?.close?.();
          } finally {
            upstream.close?.();
          }
        },
      };
    },
  };
}

/**
 * The context a transformer gets: the processor's, without forwarding (Kafka Streams'
 * `ForwardingDisabledProcessorContext`), since a row must keep its key and give one result.
 */
function forwardingDisabled(context: ProcessingContext, operator: string): ProcessingContext {
  return Object.freeze({
    applicationId: context.applicationId,
    taskId: context.taskId,
    recordMetadata: () => context.recordMetadata(),
    currentStreamTimeMs: () => context.currentStreamTimeMs(),
    currentSystemTimeMs: () => context.currentSystemTimeMs(),
    getStateStore: <S extends StateStore>(name: string) => context.getStateStore<S>(name),
    schedule: (intervalMs: number, type: PunctuationType, punctuator: Punctuator) =>
      context.schedule(intervalMs, type, punctuator),
    commit: () => context.commit(),
    keySerde: () => context.keySerde(),
    valueSerde: () => context.valueSerde(),
    stateDir: () => context.stateDir(),
    forward: () => {
      throw new ProcessingError(
        operator,
        `${operator}: a ValueTransformerWithKey cannot forward: its result is the row's new value, under the row's key`,
      );
    },
  });
}

/** `KTable.toStream`: the table's changes as a stream of new values (null for deletes). */
export function tableToStreamProcessor<K, V>(): ProcessorSupplier<K, Change<V>, K, V | null> {
  return () => {
    let context: ProcessorContext<K, V | null>;
    return {
      init: (c) => {
        context = c;
      },
      process: (record) => context.forward(withValue(record, record.value.newValue)),
    };
  };
}
