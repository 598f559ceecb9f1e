import type { AggregatorFunction, InitializerFunction, MergerFunction } from '../../common/functions.ts';
import type { AggregateKind } from './specs.ts';
import { TributaryError } from '../../errors.ts';

/**
 * The functions an aggregating processor runs, whatever the DSL call was. `initializer` may return
 * null: reduce starts from "nothing yet", and its aggregator then takes the first value as it is.
 *
 * Declared as methods, like the erased user functions (common/functions.ts): a count's
 * `Aggregation<unknown, unknown, number>` is then an `Aggregation<unknown, unknown, unknown>` as the
 * compiled graph holds it, without a cast.
 */
export interface Aggregation<K, V, VA> {
  initializer(): VA | null;
  aggregator(key: K, value: V, aggregate: VA | null): VA | null;
}

/** A table aggregation also retracts values that left the group (an update's old value, a delete). */
export interface TableAggregation<K, V, VA> extends Aggregation<K, V, VA> {
  subtractor(key: K, value: V, aggregate: VA): VA | null;
}

export interface SessionAggregation<K, V, VA> extends Aggregation<K, V, VA> {
  /** Combines the aggregates of two sessions that a new record joins into one. */
  merger(key: K, aggregate1: VA | null, aggregate2: VA | null): VA | null;
}

/** Counts start at 0; an aggregate that is not there yet (null) counts as 0 too, as `null + 1` did. */
const counting: Aggregation<unknown, unknown, number> = {
  initializer: () => 0,
  aggregator: (_k, _v, count) => (count ?? 0) + 1,
};

interface UserFns {
  readonly kind: AggregateKind;
  readonly initializer: InitializerFunction | undefined;
  readonly aggregator: AggregatorFunction | undefined;
}

function required<F>(fn: F | undefined, what: string, kind: AggregateKind): F {
  if (!fn) throw new TributaryError('TRIB_INTERNAL', `${kind} needs ${what}`);
  return fn;
}

/** count, reduce and aggregate of a grouped stream, as one initializer and one aggregator. */
export function streamAggregation(fns: UserFns): Aggregation<unknown, unknown, unknown> {
  switch (fns.kind) {
    case 'count':
      return counting;
    case 'reduce': {
      const reducer = required(fns.aggregator, 'a reducer', fns.kind);
      // The first value of a key is its aggregate; the reducer only ever sees two real values.
      return {
        initializer: () => null,
        aggregator: (_k, value, aggregate) => (aggregate === null ? value : reducer(aggregate, value)),
      };
    }
    case 'aggregate': {
      const initializer = required(fns.initializer, 'an initializer', fns.kind);
      const aggregator = required(fns.aggregator, 'an aggregator', fns.kind);
      return { initializer: () => initializer(), aggregator: (k, v, a) => aggregator(k, v, a) };
    }
  }
}

/** Session aggregations derive their merger: counts add up, reduce reduces the two aggregates. */
export function sessionAggregation(
  fns: UserFns & { readonly merger: MergerFunction | undefined },
): SessionAggregation<unknown, unknown, unknown> {
  const base = streamAggregation(fns);
  switch (fns.kind) {
    case 'count': {
      const counts: SessionAggregation<unknown, unknown, number> = {
        ...counting,
        merger: (_k, a, b) => (a ?? 0) + (b ?? 0),
      };
      return counts;
    }
    case 'reduce':
      // The aggregate so far (first) absorbs the other session's aggregate as if it were one value.
      return { ...base, merger: (k, a, b) => base.aggregator(k, b, a) };
    case 'aggregate': {
      const merger = required(fns.merger, 'a session merger', fns.kind);
      return { ...base, merger: (k, a, b) => merger(k, a, b) };
    }
  }
}

/** count, reduce and aggregate of a grouped table: an adder and a subtractor. */
export function tableAggregation(fns: {
  readonly kind: AggregateKind;
  readonly initializer: InitializerFunction | undefined;
  readonly adder: AggregatorFunction | undefined;
  readonly subtractor: AggregatorFunction | undefined;
}): TableAggregation<unknown, unknown, unknown> {
  switch (fns.kind) {
    case 'count': {
      // A count that drops to zero stays in the table as 0; it is not deleted.
      const counts: TableAggregation<unknown, unknown, number> = {
        ...counting,
        subtractor: (_k, _v, count) => count - 1,
      };
      return counts;
    }
    case 'reduce': {
      const adder = required(fns.adder, 'an adder', fns.kind);
      const subtractor = required(fns.subtractor, 'a subtractor', fns.kind);
      return {
        initializer: () => null,
        aggregator: (_k, value, aggregate) => (aggregate === null ? value : adder(aggregate, value)),
        subtractor: (_k, value, aggregate) => subtractor(aggregate, value),
      };
    }
    case 'aggregate': {
      const initializer = required(fns.initializer, 'an initializer', fns.kind);
      const adder = required(fns.adder, 'an adder', fns.kind);
      const subtractor = required(fns.subtractor, 'a subtractor', fns.kind);
      return {
        initializer: () => initializer(),
        aggregator: (k, v, a) => adder(k, v, a),
        subtractor: (k, v, a) => subtractor(k, v, a),
      };
    }
  }
}
