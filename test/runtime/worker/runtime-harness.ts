/**
 * The parts of one application's runtime (task factory, registry, restorer, fetch intake, commit
 * protocol, reconciler) wired as AppRunner wires them, on the fake event log and a manual clock, for
 * unit tests of their invariants. The application is the word count: task `1_<p>` reads the
 * repartition topic and counts into a LevelDB store with a changelog.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Serdes } from 'tributary';
import { silentLogger } from '../../../src/common/logger.ts';
import type { GroupAssignment, TopicPartition } from '../../../src/kafka/port.ts';
import { retryPolicy } from '../../../src/kafka/retry.ts';
import { encodeJson, type AssignmentInfo } from '../../../src/runtime/assignment/group-protocol.ts';
import { ApplicationTopics } from '../../../src/runtime/worker/application-topics.ts';
import { atLeastOnce } from '../../../src/runtime/worker/at-least-once-commits.ts';
import { CommitProtocol } from '../../../src/runtime/worker/commit-protocol.ts';
import { loadWorkerConfig } from '../../../src/runtime/worker/config.ts';
import { FetchIntake } from '../../../src/runtime/worker/fetch-intake.ts';
import { Reconciler } from '../../../src/runtime/worker/reconciler.ts';
import { Restorer } from '../../../src/runtime/worker/restorer.ts';
import { ProcessingLoop } from '../../../src/runtime/worker/processing-loop.ts';
import { newRunnerMetrics } from '../../../src/runtime/worker/runner-metrics.ts';
import { TaskFactory } from '../../../src/runtime/worker/task-factory.ts';
import { TaskRegistry, type RunningTask } from '../../../src/runtime/worker/task-registry.ts';
import { taskTransactions } from '../../../src/runtime/worker/task-transaction-commits.ts';
import { threadTransactions } from '../../../src/runtime/worker/thread-transaction-commits.ts';
import { setUpTopics } from '../../../src/runtime/worker/topics.ts';
import { RecordCache } from '../../../src/state/cache/record-cache.ts';
import { wordCount } from '../../integration/fixtures/word-count-app.ts';
import { FakeEventLog } from '../../support/fake-event-log.ts';
import { ManualClock } from '../../support/manual-clock.ts';

export const APP = 'wc';
export const WORDS = 'words';
export const COUNTS = 'word-counts';
const string = Serdes.String();
const long = Serdes.Long();

export interface HarnessOptions {
  readonly guarantee: 'at-least-once' | 'exactly-once';
  /** Exactly-once with one producer for the member (the event log fences offsets by generation). */
  readonly groupFencedOffsets?: boolean;
  /** A state directory to reuse (a restart); a fresh one otherwise. */
  readonly stateDir?: string;
  /** The event log to reuse (a restart, or a second worker); a fresh one otherwise. */
  readonly log?: FakeEventLog;
  readonly partitions?: number;
  /** Worker settings by flag (`max-buffered-records`, ...). */
  readonly flags?: Readonly<Record<string, string>>;
}

export type Harness = Awaited<ReturnType<typeof runtimeHarness>>;

export async function runtimeHarness(options: HarnessOptions) {
  const exactlyOnce = options.guarantee === 'exactly-once';
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'tributary-runtime-'));
  const log = options.log ?? new FakeEventLog({ groupFencedOffsets: options.groupFencedOffsets });
  const partitions = options.partitions ?? 1;
  log.createTopic(WORDS, partitions);
  log.createTopic(COUNTS, partitions);
  const clock = new ManualClock();
  const topology = wordCount({ WORD_COUNT_APP_ID: APP }).buildTopology();
  const config = loadWorkerConfig({
    env: {},
    flags: { ...options.flags, 'state-dir': stateDir, guarantee: options.guarantee },
  });
  const admin = log.admin();
  const counts = await setUpTopics({
    admin,
    topology,
    applicationId: APP,
    deadLetterTopic: undefined,
    logger: silentLogger,
  });
  const topics = new ApplicationTopics(topology, APP, counts);
  const restorer = new Restorer(
    log.partitionReader({ readCommitted: exactlyOnce, topics: topics.restoreTopics() }),
    silentLogger,
  );
  await restorer.start();
  const metrics = newRunnerMetrics();
  const registry = new TaskRegistry(metrics.droppedInClosedTasks, silentLogger);
  const failures: Error[] = [];
  const closed: { id: string; migrated: boolean }[] = [];
  const cancel = new AbortController();
  const fail = (error: Error) => failures.push(error);
  const factory = new TaskFactory({
    applicationId: APP,
    topology,
    config,
    port: log,
    admin,
    restorer,
    logger: silentLogger,
    clock,
    partitionCount: (topic) => topics.partitionCount(topic),
    globalStores: new Map(),
    requestCommit: () => commits.request(),
    recordCache: new RecordCache(config.recordCacheMaxBytes),
  });
  const consumer = log.groupConsumer({
    groupId: APP,
    topics: topics.sourceTopics(),
    assignor: undefined as never,
    readCommitted: exactlyOnce,
  });
  const retry = { ...retryPolicy(2_000), initialBackoffMs: 10, maxBackoffMs: 50 };
  const commits: CommitProtocol = new CommitProtocol({
    applicationId: APP,
    registry,
    consumer,
    path: !exactlyOnce
      ? atLeastOnce(log.producer())
      : log.groupFencedOffsets
        ? threadTransactions(() => log.transactionalProducer({ transactionalId: `${APP}-process-1` }))
        : taskTransactions,
    factory,
    metrics,
    logger: silentLogger,
    clock,
    retry,
    signal: cancel.signal,
    fail,
    taskClosed: (id, reason) => closed.push({ id, ...reason }),
  });
  const reconciler = new Reconciler({
    topics,
    registry,
    factory,
    consumer,
    admin,
    commits,
    metrics,
    logger: silentLogger,
    clock,
    exactlyOnce,
    handoverTimeoutMs: 10_000,
    retry,
    signal: cancel.signal,
    windingDown: () => false,
    assignmentQueued: () => undefined,
    assignmentApplied: () => undefined,
    fail,
  });
  // Records arriving wake the processing loop, once one runs (`runLoop`).
  let wakeLoop = (): void => undefined;
  const intake = new FetchIntake({
    registry,
    consumer,
    preparer: undefined,
    maxBufferedRecordsPerPartition: config.maxBufferedRecordsPerPartition,
    wake: () => wakeLoop(),
  });
  await consumer.start({
    onRevoking: () => commits.request(),
    onAssigned: (assignment) => reconciler.enqueue(assignment),
    onBatch: (batch) => intake.onBatch(batch),
    onCrash: fail,
  });
  const repartition = topics.sourceTopics().find((t) => t !== WORDS)!;
  let generationId = 0;

  return {
    log,
    clock,
    config,
    topology,
    topics,
    registry,
    factory,
    restorer,
    consumer,
    commits,
    reconciler,
    intake,
    metrics,
    failures,
    closed,
    stateDir,
    /** The input of the counting tasks (`1_<partition>`). */
    repartition,
    changelog: topology.changelogTopic('word-counts', APP)!,

    /** Applies an assignment as the group coordinator would hand it over. */
    assign(info: Partial<AssignmentInfo> & { active: string[] }, superseded = () => false): Promise<void> {
      const full: AssignmentInfo = {
        standby: [],
        rebalance: `r${generationId + 1}`,
        handoffs: [],
        releases: [],
        endpoints: {},
        ...info,
      };
      const assignment: GroupAssignment = {
        generationId: ++generationId,
        memberId: 'member-1',
        partitions: info.active.flatMap((id) => topics.inputsOf(id)),
        userData: encodeJson(full),
        members: [],
        superseded,
      };
      log.groupGenerationId = generationId;
      return consumer.assign(assignment);
    },

    task(id: string): RunningTask {
      const task = registry.active.get(id);
      if (!task) throw new Error(`task ${id} is not running`);
      return task;
    },

    /** Words arrive on the counting task's input partition; the consumer fetches them. */
    feed(partition: number, ...words: string[]): void {
      log.append(
        repartition,
        partition,
        words.map((w) => ({ key: string.serialize(w), value: string.serialize(w) })),
      );
      consumer.deliver({ topic: repartition, partition });
    },

    /** Processes what every task has buffered. */
    process(): number {
      let processed = 0;
      for (const task of registry.active.values()) processed += task.active.process(10_000, clock.now());
      return processed;
    },

    /** The counts the application wrote (read_committed), as `word=count`. */
    output(partition = 0): string[] {
      return log
        .records(COUNTS, partition)
        .map((r) => `${string.deserialize(r.key!)}=${long.deserialize(r.value!)}`);
    },

    /** The stream thread over these parts; runs until `stop`. */
    runLoop(): { loop: ProcessingLoop; stop: () => Promise<void> } {
      let running = true;
      const loop = new ProcessingLoop({
        registry,
        intake,
        commits,
        commitIntervalMs: config.commitIntervalMs,
        metrics,
        clock,
        reconciled: () => reconciler.settled(),
        running: () => running,
        fail,
      });
      wakeLoop = () => loop.wake();
      const done = loop.run();
      return {
        loop,
        stop: async () => {
          running = false;
          loop.wake();
          await done;
        },
      };
    },

    inputOf(partition: number): TopicPartition {
      return { topic: repartition, partition };
    },

    async close(options: { keepState?: boolean } = {}): Promise<void> {
      cancel.abort();
      await reconciler.settled();
      for (const [id, task] of [...registry.active])
        await registry.closeActive(id, task, { commitStores: false });
      for (const standby of registry.standbys.values()) await factory.closeStandby(standby);
      registry.standbys.clear();
      await commits.close();
      await restorer.stop();
      if (!options.keepState) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
