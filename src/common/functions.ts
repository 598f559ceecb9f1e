/**
 * User functions as the logical graph carries them (a mapper, a predicate, an aggregator, a joiner).
 *
 * The DSL is generic in keys and values; the IR and the compilers below it are not: one graph holds
 * streams of every type, and the JSON form of a topology restores functions by name. So the graph keeps
 * each function with its key and value types erased to `unknown`, as Java's generics are at run time.
 * `Erased` declares the function as a method, whose parameters TypeScript checks bivariantly: a
 * `(key: string, value: Order) => number` is stored where `(key: unknown, value: unknown) => unknown`
 * is expected without a cast, while arity and return types are still checked. What makes keys and
 * values line up is the DSL's own signatures (pinned by test/types/), which every graph node is built
 * through.
 */
export type Erased<Args extends readonly unknown[], R> = { erased(...args: Args): R }['erased'];

/** Any function at all: what a function registry holds before a graph says what it is for. */
export type AnyFunction = (...args: never[]) => unknown;

/** `(key, value) => R`: predicates, `map`, `flatMap`, `selectKey`, `peek`, key selectors. */
export type KeyValueFunction<R> = Erased<[key: unknown, value: unknown], R>;

/** `(value, key) => R`: `mapValues`, `flatMapValues` (the key last, so mappers that ignore it stay short). */
export type ValueKeyFunction<R> = Erased<[value: unknown, key: unknown], R>;

/** `(value, otherValue, key) => result`: the joiners of every join but the foreign-key join's. */
export type ValueJoinerFunction = Erased<[value: unknown, otherValue: unknown, key: unknown], unknown>;

/** `() => aggregate`: the first aggregate of a key, window or session. */
export type InitializerFunction = () => unknown;

/**
 * An aggregate's update: `(key, value, aggregate) => aggregate` for `aggregate`, an adder or a
 * subtractor; `(aggregate, value) => aggregate` for `reduce`. Which one is said by the node's kind.
 */
export type AggregatorFunction = Erased<[first: unknown, second: unknown, aggregate?: unknown], unknown>;

/** `(key, aggregate1, aggregate2) => aggregate`: merges two sessions' aggregates. */
export type MergerFunction = Erased<[key: unknown, aggregate1: unknown, aggregate2: unknown], unknown>;
