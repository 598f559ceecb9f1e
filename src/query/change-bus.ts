import type { Logger } from '../common/logger.ts';
import type { AppRunner } from '../runtime/worker/app-runner.ts';
import { isObservableStore, type StoreChange } from '../state/change-listener.ts';
import type { StoreCatalog, StoreEntry } from './catalog.ts';

export interface ChangeEvent {
  readonly entry: StoreEntry;
  readonly partition: number;
  readonly change: StoreChange;
}

export interface ChangeSubscriber {
  readonly entry: StoreEntry;
  /** Only changes of this serialized key (binary string); every key when absent. */
  readonly binaryKey?: string;
  onChange(event: ChangeEvent): void;
  /**
   * The subscription is over: the application rebalanced (its keys may live elsewhere now; subscribe
   * again where they do) or the worker is stopping.
   */
  onEnd(reason: 'rebalance' | 'stopping'): void;
}

/**
 * Store changes of the active tasks on this worker, handed to subscribers (event streams, long polls).
 * Each task's stores get a change listener when the task arrives; the listener runs inside processing,
 * so it costs a map lookup when nobody listens and never lets a subscriber's error reach the task.
 */
export class ChangeBus {
  private readonly subscribers = new Map<StoreEntry, Set<ChangeSubscriber>>();
  private readonly logger: Logger;
  private readonly unwatch: (() => void)[] = [];

  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** Follows an application's rebalances: listeners on the stores of new tasks, and subscriptions ended. */
  watch(runner: AppRunner, catalog: StoreCatalog): void {
    const entries = new Map(
      catalog
        .list()
        .filter((e) => e.runner === runner && !e.global)
        .map((e) => [e.name, e]),
    );
    this.unwatch.push(
      runner.onAssignment(() => {
        for (const task of runner.activeTasks.values()) {
          for (const [name, managed] of task.stores) {
            const entry = entries.get(name);
            if (!entry || !isObservableStore(managed.store)) continue;
            const partition = task.partition;
            managed.store.setChangeListener((change) => this.emit(entry, partition, change));
          }
        }
        for (const entry of entries.values()) this.endAll(entry, 'rebalance');
      }),
    );
  }

  subscribe(subscriber: ChangeSubscriber): () => void {
    let set = this.subscribers.get(subscriber.entry);
    if (!set) this.subscribers.set(subscriber.entry, (set = new Set()));
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.subscribers.get(subscriber.entry) === set)
        this.subscribers.delete(subscriber.entry);
    };
  }

  /** Ends every subscription (the worker is stopping). */
  close(): void {
    for (const stop of this.unwatch.splice(0)) stop();
    for (const entry of [...this.subscribers.keys()]) this.endAll(entry, 'stopping');
  }

  private emit(entry: StoreEntry, partition: number, change: StoreChange): void {
    const set = this.subscribers.get(entry);
    if (!set) return;
    for (const subscriber of set) {
      if (subscriber.binaryKey !== undefined && subscriber.binaryKey !== change.binaryKey) continue;
      try {
        subscriber.onChange({ entry, partition, change });
      } catch (error) {
        this.logger.warn({ err: error, store: entry.name }, 'a change subscriber failed; it is dropped');
        set.delete(subscriber);
      }
    }
  }

  private endAll(entry: StoreEntry, reason: 'rebalance' | 'stopping'): void {
    const set = this.subscribers.get(entry);
    if (!set) return;
    this.subscribers.delete(entry);
    for (const subscriber of set) {
      try {
        subscriber.onEnd(reason);
      } catch (error) {
        this.logger.warn({ err: error, store: entry.name }, 'a change subscriber failed while ending');
      }
    }
  }
}
