import { TributaryError } from '../../errors.ts';

/**
 * The states of one application on a worker, as Kafka Streams' `KafkaStreams.State`:
 *
 * | state         | Kafka Streams                 | meaning                                                   |
 * | ------------- | ----------------------------- | --------------------------------------------------------- |
 * | `created`     | CREATED                       | constructed, nothing opened                               |
 * | `starting`    | REBALANCING                   | opening topics, stores and clients before joining         |
 * | `rebalancing` | REBALANCING                   | joined; waiting for an assignment or applying one         |
 * | `running`     | RUNNING                       | the tasks match the assignment; queries are answered      |
 * | `stopping`    | PENDING_SHUTDOWN              | finishing, committing, closing                            |
 * | `stopped`     | NOT_RUNNING                   | everything closed                                         |
 * | `failed`      | PENDING_ERROR, then ERROR     | failed for good; closes what it opened, then stays so     |
 *
 * Unlike Kafka Streams' ERROR, a failed application can still be stopped (`failed → stopping`), which
 * is how a worker closes it, and a failure while stopping ends the stop as `stopped`.
 */
export type AppRunnerState =
  'created' | 'starting' | 'rebalancing' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Which state may follow which: every other transition is a bug, and throws. */
export const TRANSITIONS: { readonly [S in AppRunnerState]: readonly AppRunnerState[] } = {
  created: ['starting', 'stopping'],
  starting: ['rebalancing', 'stopping', 'failed'],
  rebalancing: ['running', 'stopping', 'failed'],
  running: ['rebalancing', 'stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  failed: ['stopping', 'stopped'],
  stopped: [],
};

/** The state of an application, changed only along `TRANSITIONS`. */
export class Lifecycle {
  private readonly applicationId: string;
  private current: AppRunnerState = 'created';

  constructor(applicationId: string) {
    this.applicationId = applicationId;
  }

  get state(): AppRunnerState {
    return this.current;
  }

  is(...states: AppRunnerState[]): boolean {
    return states.includes(this.current);
  }

  /** Moves to `next`; throws when the transition table does not allow it. */
  to(next: AppRunnerState): void {
    if (!TRANSITIONS[this.current].includes(next))
      throw new TributaryError(
        'TRIB_ILLEGAL_STATE',
        `application "${this.applicationId}" cannot go from ${this.current} to ${next}`,
      );
    this.current = next;
  }

  /**
   * Moves to `next` when in one of `from`, and says whether it did: for events that change the state
   * only in some states (a rebalance starting moves a running application to rebalancing, and leaves
   * a stopping one as it is).
   */
  toIf(from: readonly AppRunnerState[], next: AppRunnerState): boolean {
    if (!from.includes(this.current)) return false;
    this.to(next);
    return true;
  }
}
