/**
 * Read-your-writes at a key's owner: wait until the task holding the key has processed every record
 * its input partitions held when the wait began. A store read after that reflects everything written
 * before it, also what another worker wrote just before a rebalance or a restart moved the partition
 * here, or what this worker sent a moment ago.
 */
import { errorMessage } from '../errors.ts';
import type { TopicPartition, TopicPartitionOffset } from '../kafka/port.ts';
import { QueryUnavailableError } from './errors.ts';

/** What the wait needs of a task (an ActiveTask of the runtime). */
export interface TaskProgress {
  readonly inputs: readonly TopicPartition[];
  /** The next offset after the last record processed, per input partition that processed any. */
  positions(): readonly TopicPartitionOffset[];
  /** Where fetching continues, per input partition (after what is buffered). */
  fetchPositions(): readonly TopicPartitionOffset[];
  readonly queues: { size(partition: TopicPartition): number };
}

/** The end of each partition of a topic (the next offset to be written; the last stable one under transactions). */
export type LogEnds = (topic: string) => Promise<ReadonlyMap<number, bigint>>;

/** How often the task's progress is looked at while waiting. */
const POLL_MS = 5;

/**
 * Resolves once `task()` has processed each of its input partitions up to the end the log reports now;
 * rejects with a 503 (QueryUnavailableError) when the task goes away (a rebalance) or `timeoutMs` pass.
 */
export async function awaitCaughtUp(options: {
  readonly task: () => TaskProgress | undefined;
  readonly logEnds: LogEnds;
  readonly timeoutMs: number;
  /** Names what is waited for in errors: `partition 2 of store "orders-store"`. */
  readonly what: string;
  readonly signal?: AbortSignal;
}): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const first = options.task();
  if (!first) throw gone(options.what);
  const ends = await endsOf(first.inputs, options.logEnds);
  for (;;) {
    const task = options.task();
    if (task !== first) throw gone(options.what);
    const behind = first.inputs.filter((input) => {
      const end = ends.get(key(input));
      return end !== undefined && processedUpTo(task, input) < end;
    });
    if (behind.length === 0) return;
    if (Date.now() >= deadline || options.signal?.aborted)
      throw new QueryUnavailableError(
        `${options.what} is still catching up with ${behind
          .map(
            (p) =>
              `${p.topic}-${p.partition} (processed up to ${processedUpTo(task, p)} of ${ends.get(key(p))})`,
          )
          .join(', ')}; ask again shortly`,
      );
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function endsOf(inputs: readonly TopicPartition[], logEnds: LogEnds): Promise<Map<string, bigint>> {
  const ends = new Map<string, bigint>();
  for (const topic of new Set(inputs.map((p) => p.topic))) {
    let partitions: ReadonlyMap<number, bigint>;
    try {
      partitions = await logEnds(topic);
    } catch (error) {
      throw new QueryUnavailableError(`where topic "${topic}" ends cannot be read: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    for (const input of inputs.filter((p) => p.topic === topic))
      ends.set(key(input), partitions.get(input.partition) ?? 0n);
  }
  return ends;
}

/**
 * How far the task has processed a partition: past its last processed record, or, with nothing
 * buffered, as far as it has fetched (which also steps over transaction markers and starts at the
 * committed offset, up to which its stores were restored).
 */
function processedUpTo(task: TaskProgress, input: TopicPartition): bigint {
  const same = (p: TopicPartition) => p.topic === input.topic && p.partition === input.partition;
  let upTo: bigint = task.positions().find(same)?.offset ?? -1n;
  if (task.queues.size(input) === 0) {
    const fetched = task.fetchPositions().find(same)?.offset ?? -1n;
    if (fetched > upTo) upTo = fetched;
  }
  return upTo;
}

function gone(what: string): QueryUnavailableError {
  return new QueryUnavailableError(`${what} is moving to another worker (a rebalance); ask again shortly`);
}

function key(p: TopicPartition): string {
  return `${p.topic}\u0000${p.partition}`;
}
