import type { AggregatorFunction, InitializerFunction, MergerFunction } from '../../common/functions.ts';
import type { AggregateKind } from './specs.ts';
import { TributaryError } from '../../errors.ts';

/**
 * The functions an aggregating processor runs, whatever the DSL call was. `initializer` may return
 * null: reduce starts from "nothing yet", and its aggregator then takes the first value as it is.
 */
export interface Aggregation<K, V, VA> {
  readonly initializer: () => VA | null;
  readonly aggregator: (key: K, value: V, aggregate: VA | null) => VA | null;
}

/** A table aggregation also retracts values that left the group (an update's old value, a delete). */
export interface TableAggregation<K, V, VA> extends Aggregation<K, V, VA> {
  readonly subtractor: (key: K, value: V, aggregate: VA) => VA | null;
}

export interface SessionAggregation<K, V, VA> extends Aggregation<K, V, VA> {
  /** Combines the aggregates of two sessions that a new record joins into one. */
  readonly merger: (key: K, aggregate1: VA | null, aggregate2: VA | null) => VA | null;
}

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
      return { initializer: () => 0, aggregator: (_k, _v, count) => (count as number) + 1 };
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
    case 'count':
      return { ...base, merger: (_k, a, b) => (a as number) + (b as number) };
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
    case 'count':
      // A count that drops to zero stays in the table as 0; it is not deleted.
      return {
        initializer: () => 0,
        aggregator: (_k, _v, count) => (count as number) + 1,
        subtractor: (_k, _v, count) => (count as number) - 1,
      };
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
