/**
 * Names for the user's functions, so a topology can be written as data (JSON) and read back: the JSON
 * form refers to each function by the name it was registered under.
 */
import { TopologyError } from '../../errors.ts';
import type { AnyFunction } from '../../common/functions.ts';

/** A global symbol, so a function named through one copy of the package is seen by another (src vs dist). */
const FUNCTION_NAME = Symbol.for('tributary.functionName');

/**
 * Marks a function with a name and returns it unchanged, so it can be used inline in the DSL:
 * `stream.filter(named('isCreated', (k, order) => order.state === 'CREATED'))`.
 */
export function named<F extends AnyFunction>(name: string, fn: F): F {
  if (typeof name !== 'string' || name.length === 0)
    throw new TopologyError('named(): the name must be a non-empty string');
  if (typeof fn !== 'function') throw new TopologyError(`named("${name}"): expected a function`);
  const existing = functionName(fn);
  if (existing !== undefined) {
    if (existing === name) return fn;
    throw new TopologyError(
      `named("${name}"): this function is already named "${existing}"; a function has one name`,
    );
  }
  Object.defineProperty(fn, FUNCTION_NAME, { value: name, enumerable: false });
  return fn;
}

/** The name given with `named()`, if any. */
export function functionName(fn: AnyFunction): string | undefined {
  const value: unknown = Reflect.get(fn, FUNCTION_NAME);
  return typeof value === 'string' ? value : undefined;
}

/** Functions by name, for loading a topology from JSON (and naming functions when writing one). */
export class FunctionRegistry {
  private readonly byName = new Map<string, AnyFunction>();
  private readonly byFunction = new Map<AnyFunction, string>();

  constructor(entries: Readonly<Record<string, AnyFunction>> = {}) {
    for (const [name, fn] of Object.entries(entries)) this.register(name, fn);
  }

  /** Registers a function, or every function in an object under its property name. */
  register(name: string, fn: AnyFunction): this {
    if (name.length === 0) throw new TopologyError('a registered function needs a non-empty name');
    if (typeof fn !== 'function')
      throw new TopologyError(`cannot register "${name}": expected a function, got ${typeof fn}`);
    const existing = this.byName.get(name);
    if (existing && existing !== fn)
      throw new TopologyError(`a different function is already registered as "${name}"`);
    this.byName.set(name, fn);
    if (!this.byFunction.has(fn)) this.byFunction.set(fn, name);
    return this;
  }

  get(name: string): AnyFunction | undefined {
    return this.byName.get(name);
  }

  /** The name a function was registered under, or the name it was marked with by `named()`. */
  nameOf(fn: AnyFunction): string | undefined {
    return this.byFunction.get(fn) ?? functionName(fn);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** What callers may pass where functions are looked up by name. */
export type FunctionsInput = FunctionRegistry | Readonly<Record<string, AnyFunction>>;

export function toRegistry(input: FunctionsInput | undefined): FunctionRegistry {
  if (input instanceof FunctionRegistry) return input;
  return new FunctionRegistry(input ?? {});
}
