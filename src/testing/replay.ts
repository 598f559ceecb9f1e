/**
 * Replays a recording through one or more applications on one in-memory broker: each input record is
 * written to its topic, and everything the applications write to topics they read is delivered like a
 * broker would, until nothing is left, before the next input record. What they write to non-internal
 * topics is the output, in write order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTributaryApp, type TributaryApp } from '../app/define-app.ts';
import { ConfigError, TributaryError, errorMessage } from '../errors.ts';
import type { Headers } from '../processor/record.ts';
import { defaultErrorHandling } from '../runtime/error-handling.ts';
import { silentLogger, type Logger } from '../common/logger.ts';
import { partitionForKey } from '../runtime/partitioner.ts';
import { bytesSerde } from '../serde/primitives.ts';
import { toJsonForm, type Serde, type SerdeContext } from '../serde/serde.ts';
import type { Topology } from '../topology/topology.ts';
import { AppInstance } from './app-instance.ts';
import { InMemoryBroker, type StoredRecord } from './in-memory-broker.ts';
import { encodeRecorded } from './recorded-bytes.ts';
import {
  ReplayInputError,
  checkRecord,
  parseRecording,
  toJsonl,
  type LocatedRecord,
  type RecordedRecord,
  type ReplayRecord,
} from './replay-format.ts';
import { TestCluster } from './test-cluster.ts';
import { topicSerdeCatalog, type TopicSerdeCatalog, type TopicSerdes } from './replay-serdes.ts';

export interface ReplayOptions {
  /** The applications to run together (what topology files default-export). */
  readonly apps: readonly TributaryApp[];
  /** The recording: JSONL text, or records already parsed. */
  readonly input: string | readonly RecordedRecord[];
  /** Names the recording in error messages (a file name). */
  readonly inputSource?: string;
  /** Partitions of every topic not listed in `topicPartitions` (default 1). */
  readonly partitions?: number;
  readonly topicPartitions?: Readonly<Record<string, number>>;
  /** Where LevelDB stores live; default a temporary directory, removed afterwards. */
  readonly stateDir?: string;
  readonly logger?: Logger;
  /**
   * Called every thousand input records with how many are done, and once at the end; replay
   * waits for it, so a caller can draw a progress line (the `tributary replay` command does).
   */
  readonly onProgress?: (done: number, total: number) => void | Promise<void>;
}

/** How many input records between two progress calls: often enough for a display, rarely enough to cost nothing. */
const PROGRESS_EVERY = 1000;

export interface ReplayResult {
  /** Every record written to a non-internal topic, in write order, in its JSON form. */
  readonly records: readonly ReplayRecord[];
  /** The records as JSONL, one `{"topic","partition","key","value","timestamp"}` per line. */
  toJsonl(): string;
}

/** Raised when replaying fails past the input checks; the message names the input line being replayed. */
export class ReplayError extends TributaryError {
  constructor(message: string, cause?: unknown) {
    super('TRIB_REPLAY', message, { cause });
  }
}

interface PreparedRecord {
  readonly located: LocatedRecord;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: Headers;
}

export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const apps = checkApps(options.apps);
  const source = options.inputSource ?? 'input';
  const input =
    typeof options.input === 'string'
      ? parseRecording(options.input, source)
      : options.input.map((r, i) => checkRecord(r, source, i + 1));
  const topologies = apps.map((app) => ({ app, topology: app.buildTopology() }));
  const serdes = topicSerdeCatalog(topologies);
  // Every input record is converted before anything runs, so a bad line fails fast.
  const prepared = input.map((record) => ({
    located: record,
    ...encodeRecorded(record, serdes.forInput(record.topic)),
  }));

  const ownStateDir =
    options.stateDir === undefined ? await mkdtemp(join(tmpdir(), 'tributary-replay-')) : undefined;
  const session = new ReplaySession(topologies, serdes, options, input[0]?.timestamp ?? 0);
  let failure: unknown;
  try {
    await session.start(options.stateDir ?? ownStateDir!);
    const progress = options.onProgress;
    for (let i = 0; i < prepared.length; i++) {
      session.feed(prepared[i]!);
      if (progress && (i + 1) % PROGRESS_EVERY === 0) await progress(i + 1, prepared.length);
    }
    await session.flush();
    await progress?.(prepared.length, prepared.length);
  } catch (error) {
    failure = error;
  }
  const closeFailure = await session.close();
  if (ownStateDir) await rm(ownStateDir, { recursive: true, force: true });
  if (failure !== undefined) throw failure;
  if (closeFailure !== undefined) throw closeFailure;
  const records = session.output;
  return { records, toJsonl: () => toJsonl(records) };
}

/** The applications on their broker, and what they wrote while each input record was processed. */
class ReplaySession {
  readonly output: ReplayRecord[] = [];
  private readonly topologies: readonly { app: TributaryApp; topology: Topology }[];
  private readonly serdes: TopicSerdeCatalog;
  private readonly options: ReplayOptions;
  private readonly broker: InMemoryBroker;
  private readonly cluster: TestCluster;
  private readonly instances: AppInstance[] = [];
  private readonly clock: { ms: number };
  private readonly roundRobin = new Map<string, number>();
  private readonly captured: StoredRecord[] = [];
  private readonly internal: (topic: string) => boolean;
  private feeding = false;

  constructor(
    topologies: readonly { app: TributaryApp; topology: Topology }[],
    serdes: TopicSerdeCatalog,
    options: ReplayOptions,
    startMs: number,
  ) {
    this.topologies = topologies;
    this.serdes = serdes;
    this.options = options;
    this.clock = { ms: startMs };
    this.internal = internalTopicCheck(topologies);
    this.broker = new InMemoryBroker((topic) => options.topicPartitions?.[topic] ?? options.partitions ?? 1);
    this.cluster = new TestCluster(this.broker);
    this.broker.onAppend((record) => {
      if (this.feeding)
        this.feeding = false; // the input record itself is not output
      else if (!this.internal(record.topic)) this.captured.push(record);
    });
  }

  async start(stateDir: string): Promise<void> {
    for (const { app, topology } of this.topologies) {
      try {
        const instance = await AppInstance.start({
          applicationId: app.applicationId,
          topology,
          broker: this.broker,
          stateDir,
          wallClock: () => this.clock.ms,
          errorHandling: { ...defaultErrorHandling, ...app.errorHandling },
          logger: this.options.logger ?? silentLogger,
        });
        this.instances.push(instance);
        this.cluster.addApp(instance);
      } catch (error) {
        throw new ReplayError(
          `cannot start application "${app.applicationId}": ${errorMessage(error)}`,
          error,
        );
      }
    }
  }

  /** Writes one input record and processes everything that follows from it. */
  feed(record: PreparedRecord): void {
    const { located } = record;
    // The mocked wall clock follows the recorded timestamps, so wall-clock punctuation replays too.
    this.clock.ms = Math.max(this.clock.ms, located.timestamp);
    const partition = choosePartition(record, this.broker.partitionCount(located.topic), this.roundRobin);
    try {
      this.feeding = true;
      this.cluster.pipe({
        topic: located.topic,
        partition,
        key: record.key,
        value: record.value,
        timestamp: located.timestamp,
        headers: record.headers,
      });
      this.cluster.punctuateWallClock();
    } catch (error) {
      throw new ReplayError(
        `while replaying ${located.source}:${located.line} (topic "${located.topic}"): ${errorMessage(error)}`,
        error,
      );
    } finally {
      this.feeding = false;
    }
    for (const stored of this.captured.splice(0))
      this.output.push(decode(stored, located, this.serdes.forOutput(stored.topic)));
  }

  async flush(): Promise<void> {
    for (const instance of this.instances) await instance.flush();
  }

  /** Closes every application; returns the first failure instead of throwing it. */
  async close(): Promise<unknown> {
    const results = await Promise.allSettled(this.instances.map((i) => i.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    return failed?.reason;
  }
}

function checkApps(apps: readonly TributaryApp[]): TributaryApp[] {
  if (!Array.isArray(apps) || apps.length === 0)
    throw new ConfigError('replay needs at least one application');
  const ids = new Set<string>();
  for (const app of apps) {
    if (!isTributaryApp(app))
      throw new ConfigError('replay: every application must be what defineApp() returns');
    if (ids.has(app.applicationId))
      throw new ConfigError(
        `replay: two applications have the id "${app.applicationId}"; application ids must differ`,
      );
    ids.add(app.applicationId);
  }
  return [...apps];
}

function choosePartition(
  record: PreparedRecord,
  partitions: number,
  roundRobin: Map<string, number>,
): number {
  const { located } = record;
  if (located.partition !== undefined) {
    if (located.partition >= partitions)
      throw new ReplayInputError(
        located.source,
        located.line,
        'partition',
        `topic "${located.topic}" has ${partitions} partition${partitions === 1 ? '' : 's'}; there is no partition ${located.partition}`,
      );
    return located.partition;
  }
  if (record.key !== null) return partitionForKey(record.key, partitions);
  // Records without a key spread over the partitions, as Kafka's producers do.
  const next = roundRobin.get(located.topic) ?? 0;
  roundRobin.set(located.topic, next + 1);
  return next % partitions;
}

/** Repartition, changelog and subscription topics of any of the applications. */
function internalTopicCheck(
  topologies: readonly { app: TributaryApp; topology: Topology }[],
): (topic: string) => boolean {
  const names = new Set<string>();
  for (const { app, topology } of topologies) {
    for (const def of topology.internalTopics.values()) names.add(`${app.applicationId}-${def.name}`);
  }
  const patterns = topologies.map(
    ({ app }) => new RegExp(`^${app.applicationId.replace(/[.]/g, '\\.')}-.+-(repartition|changelog|topic)$`),
  );
  return (topic) => names.has(topic) || patterns.some((p) => p.test(topic));
}

function decode(record: StoredRecord, during: LocatedRecord, serdes: TopicSerdes | undefined): ReplayRecord {
  const keySerde = serdes?.keySerde ?? (bytesSerde() as Serde<unknown>);
  const valueSerde = serdes?.valueSerde ?? (bytesSerde() as Serde<unknown>);
  const read = (part: 'key' | 'value', serde: Serde<unknown>, bytes: Uint8Array | null): unknown => {
    if (bytes === null) return null;
    const context: SerdeContext = { topic: record.topic, part, headers: record.headers };
    try {
      return toJsonForm(serde, serde.deserialize(bytes, context));
    } catch (error) {
      throw new ReplayError(
        `a record written to topic "${record.topic}" while replaying ${during.source}:${during.line} cannot be read with its ${part} serde ${serde.name}: ${errorMessage(error)}`,
        error,
      );
    }
  };
  return {
    topic: record.topic,
    partition: record.partition,
    key: read('key', keySerde, record.key),
    value: read('value', valueSerde, record.value),
    timestamp: record.timestamp,
  };
}
