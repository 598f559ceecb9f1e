/**
 * The type of a user function as the logical graph carries it (a mapper, a predicate, an aggregator, a
 * joiner). The DSL is typed at its surface; below it, operators hold the functions they were given
 * under this one type, shared by the DSL, the IR and the processors.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Fn = (...args: any[]) => any;
