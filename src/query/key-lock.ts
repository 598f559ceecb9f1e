/** Runs actions one after another per key: an action for a key starts when the one before it has settled. */
export class KeyLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, action: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.tails.set(key, tail);
    await previous;
    try {
      return await action();
    } finally {
      release();
      // Forget the key once nobody queues behind it.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with an action running or waiting (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}
