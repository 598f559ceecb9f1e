import type { FixedKeyRecord, RecordMetadata, StreamRecord } from './record.ts';
import type { Serde } from '../serde/serde.ts';
import type { StateStore } from '../state/api.ts';

/** A task is one sub-topology working on one partition: `${subtopology}_${partition}`. */
export interface TaskId {
  readonly subtopology: number;
  readonly partition: number;
}

export function taskIdString(id: TaskId): string {
  return `${id.subtopology}_${id.partition}`;
}

/**
 * Punctuation fires on stream time (advanced by record timestamps, so it is deterministic and replays
 * the same way) or on wall-clock time (advanced by the system clock, or by the test driver).
 */
export type PunctuationType = 'stream-time' | 'wall-clock';

export const PunctuationType = {
  STREAM_TIME: 'stream-time',
  WALL_CLOCK_TIME: 'wall-clock',
} as const satisfies Record<string, PunctuationType>;

export type Punctuator = (timestamp: number) => void;

export interface Cancellable {
  cancel(): void;
}

/** What every processor sees of the task it runs in: Kafka Streams' `ProcessingContext`. */
export interface ProcessingContext {
  readonly applicationId: string;
  readonly taskId: TaskId;
  /** Topic, partition and offset of the input record being processed; undefined inside punctuation. */
  recordMetadata(): RecordMetadata | undefined;
  /** The largest record timestamp this task has seen. */
  currentStreamTimeMs(): number;
  currentSystemTimeMs(): number;
  /** A store this processor was connected to (see `stores` when adding the processor). */
  getStateStore<S extends StateStore>(name: string): S;
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable;
  /** Asks the runtime to commit soon. */
  commit(): void;
  /**
   * The topology's default key serde (the `StreamsBuilder`'s, or the application's): Kafka Streams'
   * `keySerde()`, the configured `default.key.serde`. For serializing keys a processor keeps itself.
   */
  keySerde(): Serde<unknown>;
  /** The topology's default value serde: Kafka Streams' `valueSerde()`. */
  valueSerde(): Serde<unknown>;
  /**
   * The directory of this task's state, below which its stores live (Kafka Streams' `stateDir()`):
   * a processor may keep files of its own there; they go when the task's state is wiped.
   */
  stateDir(): string;
}

/** The context of a `Processor`: Kafka Streams' `ProcessorContext`. */
export interface ProcessorContext<KOut = unknown, VOut = unknown> extends ProcessingContext {
  /** Sends a record to every child, or to the named child only. */
  forward(record: StreamRecord<KOut, VOut>, childName?: string): void;
}

/** The context of a `FixedKeyProcessor`: Kafka Streams' `FixedKeyProcessorContext`. */
export interface FixedKeyProcessorContext<K = unknown, VOut = unknown> extends ProcessingContext {
  /** Sends a record, with the key it was received with, to every child or to the named child only. */
  forward(record: FixedKeyRecord<K, VOut>, childName?: string): void;
}

/**
 * A custom processor: Kafka Streams' `Processor`. `process` is synchronous on purpose: stores answer
 * reads from memory, so a record never waits on I/O, and processing stays deterministic.
 */
export interface Processor<KIn, VIn, KOut = never, VOut = never> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: StreamRecord<KIn, VIn>): void;
  close?(): void;
}

/** Makes a fresh processor for each task; a processor instance is never shared between tasks. */
export type ProcessorSupplier<KIn, VIn, KOut = never, VOut = never> = () => Processor<KIn, VIn, KOut, VOut>;

/**
 * A processor that may change values but not keys: Kafka Streams' `FixedKeyProcessor`, for
 * `KStream.processValues`. It forwards records derived from those it receives (`withValue`,
 * `withTimestamp`, `withHeaders`), so the key is the one it came with.
 */
export interface FixedKeyProcessor<K, VIn, VOut = never> {
  init?(context: FixedKeyProcessorContext<K, VOut>): void;
  process(record: FixedKeyRecord<K, VIn>): void;
  close?(): void;
}

/**
 * Computes a table row's new value from its key and value: Kafka Streams' `ValueTransformerWithKey`, for
 * `KTable.transformValues`. Unlike a mapper it has a lifecycle and may read (and write) the state stores
 * it was connected to; it cannot forward (its context has no `forward`, and the one it gets refuses
 * it), so a row keeps its key and each change gives exactly one result. It is also called for deletes
 * (a null value), and may turn them into a value.
 */
export interface ValueTransformerWithKey<K, V, VR> {
  init?(context: ProcessingContext): void;
  /** The row's new value; null or undefined: the row is deleted. */
  transform(readOnlyKey: K, value: V | null): VR | null | undefined;
  close?(): void;
}

/**
 * Makes a fresh transformer for each task, and for each reader of a table that is not materialized
 * (a join reading it); each is closed when what holds it closes with its task.
 */
export type ValueTransformerWithKeySupplier<K, V, VR> = () => ValueTransformerWithKey<K, V, VR>;

/** Makes a fresh fixed-key processor for each task. */
export type FixedKeyProcessorSupplier<K, VIn, VOut = never> = () => FixedKeyProcessor<K, VIn, VOut>;
