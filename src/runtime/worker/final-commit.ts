import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import type { CommitProtocol } from './commit-protocol.ts';
import type { Reconciler } from './reconciler.ts';

/**
 * The last commit of a stopping application, which must land before the worker leaves its group:
 * whoever runs its tasks next starts from the committed offsets.
 *
 * A group that is rebalancing refuses offsets from a member whose generation is behind (a worker
 * stopped or started just before this one; this one was dropped after a stall), and the client
 * rejoins on its own. Leaving then would have the refused records processed again. The commit made
 * when the rebalance started cannot be relied on either: the client does not wait for it. So a
 * refused commit waits for this member's next assignment — whose reconcile commits first and hands
 * over what moved — and commits again, for at most `timeoutMs` (the session timeout: what the group
 * waits for a silent member anyway).
 */
export async function commitBeforeLeaving(options: {
  readonly commits: CommitProtocol;
  readonly reconciler: Reconciler;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly clock: Clock;
}): Promise<void> {
  const { commits, reconciler, timeoutMs, logger, clock } = options;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    // A rebalance under way commits and lets go of tasks itself: after it, less is left to do.
    await reconciler.settled();
    const seen = reconciler.assignmentsReceived;
    if ((await commits.commitAll()) === 'committed') return;
    logger.info({}, 'waiting to rejoin the group to commit before leaving it');
    if (!(await reconciler.assignmentAfter(seen, deadline - clock.now()))) {
      logger.error(
        { waitedMs: timeoutMs },
        'leaving the group without committing the last offsets: it did not take this worker back in time; their records will be processed again',
      );
      return;
    }
  }
}
