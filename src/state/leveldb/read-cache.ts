/** What the stores' read caches of one process may hold together by default. */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The memory every store's read caches share: a byte budget, not a budget per store, so that a worker
 * with many tasks and stores stays within the same bound as one with a single store (as Kafka Streams'
 * `statestore.cache.max.bytes` is one budget for all stores of an instance).
 *
 * Caches fill a young generation each; once the young generations together hold half of the budget,
 * every cache turns at once: its young generation becomes its old one and its former old one is dropped
 * whole. So the caches hold at most the budget (half young, half old), every operation is O(1), and an
 * entry stays for at least half a budget's worth of insertions after its last use.
 */
export class CacheBudget {
  private maxBytes: number;
  private youngBytes = 0;
  private oldBytes = 0;
  private readonly caches = new Set<ReadCache<unknown>>();

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get limit(): number {
    return this.maxBytes;
  }

  /** What the caches hold now, by the same estimate. */
  get bytes(): number {
    return this.youngBytes + this.oldBytes;
  }

  /** Changes the budget; 0 turns caching off. Cached entries are dropped. */
  resize(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.turn();
    this.turn();
  }

  register(cache: ReadCache<unknown>): void {
    this.caches.add(cache);
  }

  unregister(cache: ReadCache<unknown>): void {
    this.caches.delete(cache);
  }

  /** Counts an insertion; false when caching is off and nothing may be kept. */
  charge(bytes: number): boolean {
    if (this.maxBytes <= 0) return false;
    if (this.youngBytes > 0 && (this.youngBytes + bytes) * 2 > this.maxBytes) this.turn();
    this.youngBytes += bytes;
    return true;
  }

  private turn(): void {
    for (const cache of this.caches) cache.turn();
    this.oldBytes = this.youngBytes;
    this.youngBytes = 0;
  }
}

/** The budget shared by every store opened without one of its own: the process's. */
export const processCacheBudget = new CacheBudget(DEFAULT_CACHE_MAX_BYTES);

/**
 * One store's cache of recently used entries (values, or decoded index blocks), within a shared
 * budget. Hits and writes go to the young generation; a hit in the old one moves it back to the young.
 */
export class ReadCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly budget: CacheBudget;
  private readonly sizeOf: (key: string, value: V) => number;

  constructor(budget: CacheBudget, sizeOf: (key: string, value: V) => number) {
    this.budget = budget;
    this.sizeOf = sizeOf;
    budget.register(this as ReadCache<unknown>);
  }

  get(key: string): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const older = this.old.get(key);
    // A hit in the old generation moves to the young one (the stale copy goes with the old generation).
    if (older !== undefined) this.set(key, older);
    return older;
  }

  /** True when this cache holds nothing. */
  get empty(): boolean {
    return this.young.size === 0 && this.old.size === 0;
  }

  /** The value without counting it as a use. */
  peek(key: string): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  set(key: string, value: V): void {
    // Charge first: the charge may turn the generations, and this entry belongs to the new young one.
    if (this.budget.charge(this.sizeOf(key, value))) this.young.set(key, value);
    else this.delete(key);
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  /** Drops every entry (what they were charged leaves the budget at its next turns, as for `delete`). */
  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  /** Called by the budget: the young generation becomes the old one. */
  turn(): void {
    this.old = this.young;
    this.young = new Map();
  }

  /** Leaves the budget (the store closed). */
  release(): void {
    this.budget.unregister(this as ReadCache<unknown>);
    this.young = new Map();
    this.old = new Map();
  }
}

/**
 * Roughly what a cached value costs in memory: the key string, the value's bytes, and the objects
 * around them (the Map entry, the Buffer, its ArrayBuffer and its separately allocated bytes). Measured
 * at about 230 bytes of JavaScript heap per entry and 600 bytes of resident memory for small values.
 */
export function cachedValueBytes(key: string, value: Uint8Array): number {
  return key.length + value.byteLength + 400;
}
