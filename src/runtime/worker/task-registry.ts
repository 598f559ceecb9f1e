import type {
  GroupAssignment,
  GroupGeneration,
  TopicPartition,
  TransactionalProducerPort,
} from '../../kafka/port.ts';
import type { AssignmentInfo } from '../assignment/group-protocol.ts';
import type { ActiveTask } from './active-task.ts';
import type { RecordSender } from './record-sender.ts';
import { warnOnFailure, type Logger } from '../../common/logger.ts';
import { addDropped } from './runner-metrics.ts';
import type { CreatedTask, StandbyTask } from './task-factory.ts';

/** An active task as the runner runs it, with its transactional producer under exactly-once. */
export interface RunningTask {
  readonly active: ActiveTask;
  readonly producer: TransactionalProducerPort | undefined;
  /** Sends this task's output into its transaction (exactly-once), made with its first output. */
  sender: RecordSender | undefined;
  transactionOpen: boolean;
}

export const NO_ASSIGNMENT: AssignmentInfo = {
  active: [],
  standby: [],
  rebalance: '',
  handoffs: [],
  releases: [],
  endpoints: {},
};

/**
 * What runs on this worker for one application: its active tasks (and which one owns each input
 * partition, so fetched records find their task), its standby replicas, and the assignment they
 * follow. Fetching, processing, committing and rebalancing all read it; only the reconciler and
 * closing change it.
 */
export class TaskRegistry {
  readonly active = new Map<string, RunningTask>();
  readonly standbys = new Map<string, StandbyTask>();
  /** Who runs which task, as the last assignment said (for routing queries). */
  assignment: AssignmentInfo = NO_ASSIGNMENT;
  /** The last assignment the group gave this member (being applied, or applied). */
  latestAssignment: GroupAssignment | undefined;
  /**
   * The group generation the active tasks run in: their offsets are committed with it, so the group
   * refuses them once it has moved on (exactly-once with one producer per member). Set once the tasks
   * an assignment took away are closed, before those it brings start.
   */
  generation: GroupGeneration | undefined;
  private readonly owners = new Map<string, RunningTask>();
  private readonly droppedInClosedTasks: Map<string, number>;
  private readonly logger: Logger;

  constructor(droppedInClosedTasks: Map<string, number>, logger: Logger) {
    this.droppedInClosedTasks = droppedInClosedTasks;
    this.logger = logger;
  }

  /** Registers a task that was just created; its input partitions are now its own. */
  add(id: string, created: CreatedTask): RunningTask {
    const running: RunningTask = {
      active: created.task,
      producer: created.producer,
      sender: undefined,
      transactionOpen: false,
    };
    this.active.set(id, running);
    for (const partition of created.task.inputs) this.owners.set(partitionKey(partition), running);
    return running;
  }

  /** The task that reads a partition, unless the partition was given up in a rebalance. */
  ownerOf(partition: TopicPartition): RunningTask | undefined {
    return this.owners.get(partitionKey(partition));
  }

  /**
   * Closes an active task: an open transaction is aborted, and the stores are persisted only when
   * `commitStores` says everything they hold was committed (a task handed over after a commit).
   */
  async closeActive(id: string, task: RunningTask, options: { commitStores: boolean }): Promise<void> {
    this.active.delete(id);
    addDropped(this.droppedInClosedTasks, task.active.task);
    for (const partition of task.active.inputs) {
      if (this.owners.get(partitionKey(partition)) === task) this.owners.delete(partitionKey(partition));
    }
    // Closing goes on whatever fails: the task is gone either way, and what its stores did not
    // persist is restored from the changelog by whoever runs it next.
    const failed = (doing: string) => warnOnFailure(this.logger, doing, { task: id });
    if (task.transactionOpen)
      await task.producer?.abort().catch(failed('aborting the closed task’s transaction'));
    if (options.commitStores)
      await task.active.commitStores().catch(failed('persisting the closed task’s stores'));
    await task.active.close();
    await task.producer?.close().catch(failed('closing the closed task’s producer'));
  }
}

export function partitionKey(partition: TopicPartition): string {
  return `${partition.topic}\u0000${partition.partition}`;
}
