import {
  fetchV12,
  IS_CONTROL,
  IS_TRANSACTIONAL,
  ProtocolError,
  protocolErrorsCodesById,
  type RecordsBatch,
} from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';
import type { Logger } from '../../common/logger.ts';
import { ReadCommittedFilter, controlRecordType, type AbortedTransaction } from '../aborted-filter.ts';
import type { LogRecord, RecordBatch, TopicPartition } from '../port.ts';
import { DEFAULT_TASK_TIMEOUT_MS, FailureWindow, RetriesExhaustedError, retryPolicy } from '../retry.ts';
import type { Headers } from '../../common/records.ts';
import { platformaticError, platformaticErrorKind } from './errors.ts';
import { EARLIEST, listOffsets } from './list-offsets.ts';
import { hasProtocolError, type Wire } from './wire.ts';
import { toOffset } from '../../common/offset.ts';

/** A fetch waits this long for records before answering empty. */
const MAX_WAIT_MS = 100;
/**
 * Bytes per partition (unless the options say otherwise) and per response. The library decodes a whole
 * response at once, so a response is kept to what decodes in a few milliseconds; the broker still
 * returns a larger first batch whole.
 */
const PARTITION_MAX_BYTES = 1024 * 1024;
const RESPONSE_MAX_BYTES = 2 * 1024 * 1024;
/** A record batch's timestamp type bit: set, every record's timestamp is the batch's max timestamp. */
const LOG_APPEND_TIME = 1 << 3;
/** Answers meaning the partition's leader moved or is being elected: refresh metadata and fetch again. */
const LEADERSHIP = [
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'REPLICA_NOT_AVAILABLE',
  'KAFKA_STORAGE_ERROR',
];
/** The longest wait between fetch attempts while fetching fails. */
const MAX_BACKOFF_MS = 1_000;

interface PartitionState extends TopicPartition {
  /** The next offset to fetch; EARLIEST until it is looked up. */
  position: bigint;
  paused: boolean;
  /** Changes on every seek, so a response fetched from an older position is dropped. */
  epoch: number;
}

export interface FetcherOptions {
  readonly readCommitted: boolean;
  readonly onBatch: (batch: RecordBatch) => void;
  /** Told once fetching failed for good: a fatal error, or retriable ones for longer than `retryTimeoutMs`. */
  readonly onCrash: (error: Error) => void;
  /** Turns a refusal by the cluster into an error naming what was refused. */
  readonly refused: (error: unknown) => Error;
  /** How long fetching may fail in a row (a broker restarting) before it is given up; default 5 min. */
  readonly retryTimeoutMs?: number;
  /** The most record bytes a fetch asks for per partition; default 1 MiB. */
  readonly partitionMaxBytes?: number;
  /** Who fetches, for messages: `the consumer of group "orders"`. */
  readonly what: string;
  readonly logger: Logger;
}

/**
 * Fetches chosen partitions from chosen positions with Fetch requests of its own (no fetch sessions),
 * and keeps only what a consumer of its isolation level may deliver. Under read_committed the records
 * and the aborted-transaction list go through `ReadCommittedFilter`, Kafka's rule: the library's own
 * filter is not used (it keys aborted ranges by producer id only, and keeps records of an aborted
 * transaction whose marker lies beyond the fetch). Each delivered batch says where the fetch ended,
 * past filtered records, markers and batches compaction emptied, so the position always moves on.
 */
export class Fetcher {
  private readonly wire: Wire;
  private readonly options: FetcherOptions;
  private readonly partitions = new Map<string, PartitionState>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(wire: Wire, options: FetcherOptions) {
    this.wire = wire;
    this.options = options;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run().catch((error: unknown) => {
      if (this.running) this.options.onCrash(this.options.refused(error));
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Fetches a partition from an offset (EARLIEST: the log's start), paused or not. */
  assign(partition: TopicPartition, position: bigint, paused: boolean): void {
    const key = keyOf(partition);
    const epoch = (this.partitions.get(key)?.epoch ?? 0) + 1;
    this.partitions.set(key, {
      topic: partition.topic,
      partition: partition.partition,
      position,
      paused,
      epoch,
    });
    this.wake?.();
  }

  unassign(partition: TopicPartition): void {
    this.partitions.delete(keyOf(partition));
  }

  clear(): void {
    this.partitions.clear();
  }

  has(partition: TopicPartition): boolean {
    return this.partitions.has(keyOf(partition));
  }

  seek(partition: TopicPartition, position: bigint): void {
    const state = this.partitions.get(keyOf(partition));
    if (!state) return;
    state.position = position;
    state.epoch++;
    this.wake?.();
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) {
      const state = this.partitions.get(keyOf(p));
      if (state) state.paused = true;
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) {
      const state = this.partitions.get(keyOf(p));
      if (state) state.paused = false;
    }
    this.wake?.();
  }

  private async run(): Promise<void> {
    const timeoutMs = this.options.retryTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
    const failing = new FailureWindow(timeoutMs);
    let backoffMs = 50;
    while (this.running) {
      const ready = [...this.partitions.values()].filter((p) => !p.paused);
      if (ready.length === 0) {
        await this.idle(MAX_WAIT_MS);
        continue;
      }
      try {
        await this.resolveEarliest(ready);
        await this.fetchRound(ready);
        if (failing.failingMs() > 0)
          this.options.logger.info(
            { failedForMs: failing.failingMs() },
            `${this.options.what} fetches again`,
          );
        failing.succeeded();
        backoffMs = 50;
      } catch (error) {
        if (!this.running) return;
        const doing = `${this.options.what} fetching ${describePartitions(ready)}`;
        if (platformaticErrorKind(error) !== 'retriable' && !hasProtocolError(error, ...LEADERSHIP))
          throw platformaticError(this.options.refused(error), doing);
        if (failing.failingMs() === 0)
          this.options.logger.warn({ err: error }, `${doing} failed; retrying (a broker may be restarting)`);
        if (!failing.failed())
          throw new RetriesExhaustedError(doing, failing.failingMs(), retryPolicy(timeoutMs), error);
        this.wire.base.clearMetadata();
        await this.idle(backoffMs);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** Waits until a partition is assigned, resumed or moved, or `ms` have passed. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private async resolveEarliest(ready: readonly PartitionState[]): Promise<void> {
    const unresolved = ready.filter((p) => p.position === EARLIEST);
    for (const [topic, states] of groupBy(unresolved, (p) => p.topic)) {
      const starts = await listOffsets(
        this.wire,
        topic,
        states.map((s) => s.partition),
        EARLIEST,
        false,
      );
      for (const state of states) {
        const start = starts.get(state.partition);
        if (start !== undefined && state.position === EARLIEST) state.position = start;
      }
    }
  }

  /** One fetch from each leader of the ready partitions, side by side; each response delivered as it comes. */
  private async fetchRound(ready: readonly PartitionState[]): Promise<void> {
    const topics = [...new Set(ready.map((p) => p.topic))];
    const metadata = await this.wire.metadata(topics);
    const byLeader = groupBy(
      ready.filter((p) => p.position !== EARLIEST),
      (p) => metadata.topics.get(p.topic)?.partitions[p.partition]?.leader ?? -1,
    );
    // Partitions without a leader (a broker restarting, an election under way) wait for fresh metadata.
    const leaderless = byLeader.get(-1);
    byLeader.delete(-1);
    await Promise.all([...byLeader].map(([leader, states]) => this.fetchFrom(leader, states)));
    if (leaderless)
      throw new TributaryError('TRIB_KAFKA', `no leader for ${describePartitions(leaderless)}`, {
        retriable: true,
      });
  }

  private async fetchFrom(leader: number, states: readonly PartitionState[]): Promise<void> {
    const asked = states.map((s) => ({ state: s, position: s.position, epoch: s.epoch }));
    const request = [...groupBy(asked, (a) => a.state.topic)].map(([topic, list]) => ({
      topicId: topic,
      partitions: list.map((a) => ({
        partition: a.state.partition,
        currentLeaderEpoch: -1,
        fetchOffset: a.position,
        lastFetchedEpoch: -1,
        partitionMaxBytes: this.options.partitionMaxBytes ?? PARTITION_MAX_BYTES,
      })),
    }));
    const connection = await this.wire.node(leader);
    const isolation = this.options.readCommitted ? 1 : 0;
    let response;
    try {
      // Session id 0 and epoch -1: a full fetch that opens no fetch session.
      response = await fetchV12.api.async(
        connection,
        MAX_WAIT_MS,
        1,
        RESPONSE_MAX_BYTES,
        isolation,
        0,
        -1,
        request,
        [],
        '',
      );
    } catch (error) {
      // Errors of some partitions come with the response; the others' records are good.
      const partial = (error as { response?: typeof response }).response;
      if (!partial) throw error;
      response = partial;
    }
    let leadershipMoved = false;
    for (const topic of response.responses) {
      for (const answer of topic.partitions) {
        const sent = asked.find(
          (a) => a.state.topic === topic.topicId && a.state.partition === answer.partitionIndex,
        );
        if (!sent) continue;
        const { state } = sent;
        // Sought elsewhere, paused or dropped while the fetch ran: what came is not wanted now.
        if (state.epoch !== sent.epoch || state.paused || !this.partitions.has(keyOf(state))) continue;
        if (answer.errorCode !== 0) {
          const name = protocolErrorsCodesById[answer.errorCode];
          // Where the position fell off the log (retention, or a log that was truncated), read from its start.
          if (name === 'OFFSET_OUT_OF_RANGE') state.position = EARLIEST;
          else if (name && LEADERSHIP.includes(name)) leadershipMoved = true;
          else
            throw new ProtocolError(answer.errorCode, null, {
              topic: state.topic,
              partition: state.partition,
            });
          continue;
        }
        const batch = this.toBatch(state, answer.records ?? [], answer.abortedTransactions ?? [], {
          highWatermark: answer.highWatermark,
          lastStableOffset: answer.lastStableOffset,
        });
        if (!batch) continue;
        state.position = batch.nextOffset;
        this.options.onBatch(batch);
      }
    }
    if (leadershipMoved) this.wire.base.clearMetadata();
  }

  /** What a fetched partition delivers, or undefined when the fetch reached nothing past the position. */
  private toBatch(
    state: PartitionState,
    batches: readonly RecordsBatch[],
    aborted: readonly AbortedTransaction[],
    ends: { highWatermark: bigint; lastStableOffset: bigint },
  ): RecordBatch | undefined {
    const { topic, partition, position } = state;
    const filter = this.options.readCommitted ? new ReadCommittedFilter(aborted) : undefined;
    const records: LogRecord[] = [];
    let next = position;
    for (const batch of batches) {
      const base = batch.firstOffset;
      const last = base + BigInt(batch.lastOffsetDelta);
      if (last < position) continue;
      const control = (batch.attributes & IS_CONTROL) !== 0;
      const transactional = (batch.attributes & IS_TRANSACTIONAL) !== 0;
      const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
      for (const record of batch.records) {
        const offset = base + BigInt(record.offsetDelta);
        const accepted = filter
          ? filter.accepts({
              offset,
              batchLastOffset: last,
              producerId: batch.producerId,
              transactional,
              control: control ? controlRecordType(record.key) : null,
            })
          : !control;
        if (!accepted || offset < position) continue;
        records.push({
          topic,
          partition,
          offset: toOffset(offset),
          key: record.key,
          value: record.value,
          timestamp: Number(
            logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta,
          ),
          headers: headersOf(record.headers),
        });
      }
      // A batch compaction emptied still counts: the position moves past it.
      if (last + 1n > next) next = last + 1n;
    }
    if (next === position) return undefined;
    const end =
      this.options.readCommitted && ends.lastStableOffset >= 0n ? ends.lastStableOffset : ends.highWatermark;
    return { topic, partition, records, nextOffset: toOffset(next), highWatermark: toOffset(end) };
  }
}

/** `topic "words" partitions 0, 1, 3`, for messages. */
function describePartitions(partitions: readonly TopicPartition[]): string {
  return [...groupBy(partitions, (p) => p.topic)]
    .map(
      ([topic, list]) =>
        `topic "${topic}" partition${list.length > 1 ? 's' : ''} ${list.map((p) => p.partition).join(', ')}`,
    )
    .join('; ');
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(item);
  }
  return groups;
}

export function keyOf(partition: TopicPartition): string {
  return `${partition.topic}\u0000${partition.partition}`;
}

function headersOf(entries: readonly [Buffer | null, Buffer | null][]): Headers {
  if (entries.length === 0) return {};
  const headers: Record<string, string | Uint8Array> = {};
  // Repeated header keys keep the last value (documented on Headers).
  for (const [key, value] of entries) if (key !== null) headers[key.toString()] = value ?? Buffer.alloc(0);
  return headers;
}
