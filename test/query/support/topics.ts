import type { TributaryApp } from 'tributary';
import type { AdminPort } from '../../../src/kafka/port.ts';
import { silentLogger } from '../../../src/common/logger.ts';
import { setUpTopics } from '../../../src/runtime/worker/topics.ts';
import { eventually } from '../../support/eventually.ts';

/**
 * Creates an application's internal topics the way its workers would, and waits until every partition
 * answers offset requests. Workers started afterwards find them ready: a freshly created topic can
 * refuse ListOffsets ("not the leader") for a moment, which a worker starting at that instant does not
 * survive yet.
 */
export async function prepareApplicationTopics(
  admin: AdminPort,
  app: Pick<TributaryApp, 'applicationId' | 'buildTopology'>,
): Promise<void> {
  const counts = await setUpTopics({
    admin,
    topology: app.buildTopology(),
    applicationId: app.applicationId,
    deadLetterTopic: undefined,
    logger: silentLogger,
  });
  await eventually(
    async () => {
      for (const topic of counts.keys()) await admin.offsets(topic);
    },
    { timeoutMs: 30_000 },
  );
}
