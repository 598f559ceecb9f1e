/**
 * A bounded cache of recently used values, in two generations: hits and writes go to the young one, and
 * when it is full it becomes the old one while the former old one is dropped whole. A value thus stays
 * for at least `capacity / 2` insertions after its last use. Evicting the oldest entry of a single Map
 * instead makes V8 step over ever more deleted slots at its front; here every operation is O(1).
 */
export class ReadCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly generationSize: number;

  constructor(capacity: number) {
    this.generationSize = Math.max(1, Math.ceil(capacity / 2));
  }

  get(key: string): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const older = this.old.get(key);
    // A hit in the old generation moves to the young one (the stale copy goes with the old generation).
    if (older !== undefined) this.set(key, older);
    return older;
  }

  /** The value without counting it as a use. */
  peek(key: string): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  set(key: string, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }
}
