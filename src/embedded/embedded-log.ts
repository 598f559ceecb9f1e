import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TributaryError } from '../errors.ts';
import { silentLogger, type Logger } from '../common/logger.ts';
import { isJsonObject } from '../common/json.ts';
import { CoordinatorLog } from './coordinator-log.ts';
import { GroupCoordinator } from './group-coordinator.ts';
import { lockDirectory } from './lock.ts';
import { PartitionLog } from './partition-log.ts';
import { EntryKind } from './record-format.ts';
import { TransactionCoordinator } from './transactions.ts';

export interface EmbeddedLogOptions {
  /**
   * Opens a snapshot for reading only: no lock, nothing written, a torn tail or an open transaction
   * left as found (its records stay invisible to read_committed). For inspecting a directory another
   * process is using.
   */
  readonly readOnly?: boolean;
  readonly logger?: Logger;
}

interface TopicState {
  readonly name: string;
  readonly partitions: readonly PartitionLog[];
  readonly config: Readonly<Record<string, string>>;
}

/** Kafka's legal topic names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * An event log in this process: topics of partitions persisted under a directory, consumer-group
 * offsets, transactions. It is not Kafka — no replication, no retention or compaction, one process —
 * but it has Kafka's semantics where the runtime relies on them: real offsets, committed group
 * offsets, read_committed isolation, fencing of transactional producers, rebalancing groups.
 *
 * Layout: `<dir>/topics/<topic>/topic.json` (partition count, config) and `<p>.log` per partition,
 * `<dir>/coordinator.log` (group offsets, transaction decisions), `<dir>/LOCK`.
 */
export class EmbeddedLog {
  readonly directory: string;
  readonly readOnly: boolean;
  readonly logger: Logger;
  readonly coordinator: CoordinatorLog;
  readonly transactions: TransactionCoordinator;
  private readonly topics = new Map<string, TopicState>();
  private readonly groups = new Map<string, GroupCoordinator>();
  private readonly release: (() => void) | undefined;
  private closed = false;

  private constructor(directory: string, options: EmbeddedLogOptions) {
    this.directory = resolve(directory);
    this.readOnly = options.readOnly ?? false;
    this.logger = options.logger ?? silentLogger;
    if (this.readOnly && !existsSync(this.directory))
      throw new TributaryError('TRIB_EMBEDDED_LOG', `no embedded log at ${this.directory}`);
    if (!this.readOnly) mkdirSync(join(this.directory, 'topics'), { recursive: true });
    this.release = this.readOnly ? undefined : lockDirectory(this.directory);
    try {
      this.coordinator = new CoordinatorLog(join(this.directory, 'coordinator.log'), this.readOnly);
      if (this.coordinator.truncatedBytes > 0)
        this.logger.warn(
          { bytes: this.coordinator.truncatedBytes },
          'embedded log: cut a torn write at the end of coordinator.log',
        );
      this.loadTopics();
      this.transactions = new TransactionCoordinator(this.coordinator, this.recover());
    } catch (error) {
      this.closeFiles();
      this.release?.();
      throw error;
    }
  }

  /** Opens (creating when missing) the log in `directory` and recovers it from a crash if needed. */
  static open(directory: string, options: EmbeddedLogOptions = {}): EmbeddedLog {
    return new EmbeddedLog(directory, options);
  }

  /** Creates a topic; false when it exists already (its partition count is left as it is). */
  createTopic(name: string, partitions: number, config: Readonly<Record<string, string>> = {}): boolean {
    this.checkWritable();
    if (!TOPIC_NAME.test(name) || name === '.' || name === '..')
      throw new TributaryError(
        'TRIB_EMBEDDED_LOG',
        `"${name}" is not a valid topic name: use up to 249 letters, digits, ".", "_" and "-"`,
      );
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new TributaryError(
        'TRIB_EMBEDDED_LOG',
        `topic "${name}" needs a whole number of partitions of at least 1, got ${partitions}`,
      );
    if (this.topics.has(name)) return false;
    const directory = join(this.directory, 'topics', name);
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
    const logs = Array.from(
      { length: partitions },
      (_, p) => new PartitionLog(name, p, join(directory, `${p}.log`), false),
    );
    // topic.json is written last, through a rename: a topic without it was never fully created.
    writeFileSync(join(directory, 'topic.json.tmp'), JSON.stringify({ partitions, config }));
    renameSync(join(directory, 'topic.json.tmp'), join(directory, 'topic.json'));
    this.topics.set(name, { name, partitions: logs, config: { ...config } });
    return true;
  }

  deleteTopic(name: string): void {
    this.checkWritable();
    const topic = this.topics.get(name);
    if (!topic) return;
    this.topics.delete(name);
    for (const log of topic.partitions) log.close();
    const directory = join(this.directory, 'topics', name);
    rmSync(join(directory, 'topic.json'), { force: true });
    rmSync(directory, { recursive: true, force: true });
    this.coordinator.dropTopic(name);
  }

  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  partitionCount(topic: string): number | undefined {
    return this.topics.get(topic)?.partitions.length;
  }

  topicConfig(topic: string): Readonly<Record<string, string>> | undefined {
    return this.topics.get(topic)?.config;
  }

  /** A partition of an existing topic; throws naming the topic when there is none. */
  partition(topic: string, partition: number): PartitionLog {
    const log = this.topics.get(topic)?.partitions[partition];
    if (log) return log;
    const count = this.partitionCount(topic);
    throw new TributaryError(
      'TRIB_UNKNOWN_TOPIC',
      count === undefined
        ? `topic "${topic}" does not exist in the embedded log at ${this.directory}`
        : `topic "${topic}" has ${count} partitions; there is no partition ${partition}`,
    );
  }

  /**
   * A read-only log sees what the process that owns the directory appended since it was opened (or
   * last refreshed) to the topics it knows; readers waiting on those partitions wake up. A log open
   * for writing sees its own appends and needs no refresh.
   */
  refresh(): void {
    if (!this.readOnly || this.closed) return;
    for (const topic of this.topics.values()) for (const log of topic.partitions) log.refresh();
  }

  /** The in-process coordinator of a consumer group. */
  group(groupId: string): GroupCoordinator {
    let group = this.groups.get(groupId);
    if (!group) this.groups.set(groupId, (group = new GroupCoordinator(groupId, this)));
    return group;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes every file and releases the directory. Consumers and producers must be stopped first. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeFiles();
    this.release?.();
  }

  checkWritable(): void {
    if (this.closed)
      throw new TributaryError('TRIB_EMBEDDED_LOG', `the embedded log at ${this.directory} is closed`);
    if (this.readOnly)
      throw new TributaryError(
        'TRIB_EMBEDDED_LOG',
        `the embedded log at ${this.directory} is open read-only`,
      );
  }

  private closeFiles(): void {
    for (const topic of this.topics.values()) for (const log of topic.partitions) log.close();
    this.coordinator?.close();
  }

  private loadTopics(): void {
    const root = join(this.directory, 'topics');
    if (!existsSync(root)) return;
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const directory = join(root, entry.name);
      const metaPath = join(directory, 'topic.json');
      if (!existsSync(metaPath)) {
        // A creation or deletion that a crash interrupted.
        if (!this.readOnly) rmSync(directory, { recursive: true, force: true });
        continue;
      }
      const meta = readTopicMeta(metaPath);
      const logs = Array.from(
        { length: meta.partitions },
        (_, p) => new PartitionLog(entry.name, p, join(directory, `${p}.log`), this.readOnly),
      );
      for (const log of logs) {
        if (log.truncatedBytes > 0)
          this.logger.warn(
            { topic: entry.name, partition: log.partition, bytes: log.truncatedBytes },
            'embedded log: cut a torn write at the end of a partition',
          );
      }
      this.topics.set(entry.name, { name: entry.name, partitions: logs, config: meta.config ?? {} });
    }
  }

  /**
   * Finishes what a crash left open: a transaction whose commit decision is on record gets its commit
   * markers (it committed), any other open one is aborted (its producer is gone). Returns the next
   * transaction id to hand out.
   */
  private recover(): number {
    let next = this.coordinator.nextTxnId;
    const completed = new Set<number>();
    const aborted = new Set<number>();
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) {
        next = Math.max(next, log.maxTxnId + 1);
        if (this.readOnly) continue;
        for (const txn of log.openTransactions()) {
          const committed = this.coordinator.committed.has(txn);
          log.appendMarker(committed ? EntryKind.commit : EntryKind.abort, txn);
          (committed ? completed : aborted).add(txn);
        }
      }
    }
    if (!this.readOnly) {
      this.coordinator.nextTxnId = next;
      this.coordinator.compact();
    }
    if (completed.size + aborted.size > 0)
      this.logger.info(
        { completed: completed.size, aborted: aborted.size },
        'embedded log: finished transactions a stop left open (committed ones completed, the rest aborted)',
      );
    return next;
  }
}

/** A topic's `topic.json`: its partition count and its topic config. */
function readTopicMeta(path: string): { partitions: number; config?: Record<string, string> } {
  const meta: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const damaged = (what: string) => new TributaryError('TRIB_EMBEDDED_LOG', `${path}: ${what}`);
  if (!isJsonObject(meta)) throw damaged('expected an object');
  const { partitions, config } = meta;
  if (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 0)
    throw damaged(`"partitions" must be a whole number, found ${JSON.stringify(partitions)}`);
  if (config === undefined) return { partitions };
  if (!isJsonObject(config)) throw damaged('"config" must be an object of strings');
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(config)) {
    if (typeof value !== 'string') throw damaged(`"config.${name}" must be a string`);
    strings[name] = value;
  }
  return { partitions, config: strings };
}
