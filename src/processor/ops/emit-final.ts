import type { ProcessorContext } from '../api.ts';
import { change, type Change } from '../change.ts';
import { streamRecord, type KeyValue, type StreamRecord } from '../record.ts';
import type { StateStore, Windowed } from '../../state/api.ts';

/** What an aggregation emitting on window close keeps: how far it has emitted, kept with its store. */
interface EmitProgressStore extends StateStore {
  processorMetadata?(name: string): number | undefined;
  setProcessorMetadata?(name: string, value: number): void;
}

/** A session store that can also read sessions past retention that it still keeps. */
export interface RetainingSessionStore<K, V> {
  sessionsEndingRetained?(earliestEnd: number, latestEnd: number): IterableIterator<KeyValue<Windowed<K>, V>>;
  all(): IterableIterator<KeyValue<Windowed<K>, V>>;
}

/**
 * Sessions close exactly as they pass retention (a session is kept for its gap plus grace), so they are
 * read including what is past retention but not dropped yet, as Kafka Streams' time-ordered session
 * stores do.
 */
export function retainedSessions<K, V>(
  store: RetainingSessionStore<K, V>,
  earliestEnd: number,
  latestEnd: number,
): KeyValue<Windowed<K>, V>[] {
  if (store.sessionsEndingRetained) return [...store.sessionsEndingRetained(earliestEnd, latestEnd)];
  return [...store.all()].filter(({ key }) => key.window.end >= earliestEnd && key.window.end <= latestEnd);
}

const PROGRESS = 'last-emit-window-close-time';

/**
 * The bookkeeping of Kafka Streams' emit-on-window-close (KIP-825): the close time up to which windows
 * were emitted, so each closed window is emitted once. It is saved with the aggregation's store, so a
 * restart on the same worker goes on where it stopped.
 */
export class EmitFinalProgress {
  private readonly store: EmitProgressStore;
  /** Kafka Streams' `lastEmitWindowCloseTime`; -1 before the first emission. */
  lastEmitCloseTime: number;

  constructor(store: StateStore) {
    this.store = store;
    this.lastEmitCloseTime = this.store.processorMetadata?.(PROGRESS) ?? -1;
  }

  /** Only when the close time moved on is there anything new to emit. */
  due(closeTime: number): boolean {
    return this.lastEmitCloseTime === -1 || this.lastEmitCloseTime < closeTime;
  }

  emitted(closeTime: number): void {
    this.lastEmitCloseTime = closeTime;
    this.store.setProcessorMetadata?.(PROGRESS, closeTime);
  }
}

/** Forwards one closed window's final result: no old value, the arriving record's headers. */
export function forwardFinal<K, V>(
  context: ProcessorContext<Windowed<K>, Change<V>>,
  trigger: StreamRecord<unknown, unknown>,
  key: Windowed<K>,
  value: V | null,
  timestamp: number,
): void {
  context.forward(streamRecord(key, change(value, null), timestamp, trigger.headers));
}
