import { describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { cacheCoordinators } from '../../src/kafka/kafkajs/coordinator-cache.ts';
import { applyFetchRewrite, withClusterWatch } from '../../src/kafka/kafkajs/fetch-hook.ts';
import { KafkaClientMismatchError } from '../../src/kafka/kafkajs/fetch-rewrite.ts';

const TRANSACTION = 1;
const GROUP = 0;

interface LookupArgs {
  groupId: string;
  coordinatorType?: number;
}

/** A kafkajs cluster's two functions the cache wraps, answering from a script and counting lookups. */
function fakeCluster(options: { failLookups?: number; failures?: Partial<Record<string, Error>> } = {}) {
  let failLookups = options.failLookups ?? 0;
  const lookups: string[] = [];
  const answer = (request: string) => async (): Promise<unknown> => {
    const failure = options.failures?.[request];
    if (failure) throw failure;
    return {};
  };
  const notCoordinator = Object.assign(new Error('This is not the correct coordinator'), {
    type: 'NOT_COORDINATOR',
  });
  const broker = {
    initProducerId: answer('initProducerId'),
    addPartitionsToTxn: answer('addPartitionsToTxn'),
    addOffsetsToTxn: answer('addOffsetsToTxn'),
    txnOffsetCommit: answer('txnOffsetCommit'),
    endTxn: async (): Promise<unknown> => {
      throw notCoordinator;
    },
  };
  const cluster = {
    findGroupCoordinatorMetadata: async ({ groupId, coordinatorType }: LookupArgs) => {
      lookups.push(`${coordinatorType}:${groupId}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (failLookups-- > 0) throw new Error('coordinator not available');
      return { coordinator: { nodeId: 1 } };
    },
    findBroker: async () => broker,
  };
  return { cluster, broker, lookups };
}

/** The cache on the fake cluster, watching its broker as fetch-hook.ts has it watch each new one. */
function cache(fake: ReturnType<typeof fakeCluster>): void {
  cacheCoordinators(fake.cluster)(fake.broker);
}

/** How kafkajs' cluster looks a coordinator up: its metadata, then the broker of that node. */
async function coordinator(cluster: ReturnType<typeof fakeCluster>['cluster'], args: LookupArgs) {
  await cluster.findGroupCoordinatorMetadata(args);
  return cluster.findBroker();
}

describe('a transactional producer remembers its coordinators', () => {
  it('asks the cluster once per transactional id or group, sharing a lookup in flight', async () => {
    const fake = fakeCluster();
    const { cluster, lookups } = fake;
    cache(fake);
    const txn = { groupId: 'app-0_1', coordinatorType: TRANSACTION };
    const group = { groupId: 'app', coordinatorType: GROUP };
    await Promise.all([coordinator(cluster, txn), coordinator(cluster, txn)]);
    await coordinator(cluster, group);
    await coordinator(cluster, txn);
    await coordinator(cluster, group);
    expect(lookups).toEqual([`${TRANSACTION}:app-0_1`, `${GROUP}:app`]);
  });

  it('asks again after a coordinator request failed, and the caller sees that failure as it was', async () => {
    const fake = fakeCluster();
    const { cluster, lookups } = fake;
    cache(fake);
    const txn = { groupId: 'app-0_1', coordinatorType: TRANSACTION };
    const broker = await coordinator(cluster, txn);
    await broker.addOffsetsToTxn();
    await coordinator(cluster, txn);
    expect(lookups).toHaveLength(1);
    await expect(broker.endTxn()).rejects.toMatchObject({ type: 'NOT_COORDINATOR' });
    await coordinator(cluster, txn);
    expect(lookups).toHaveLength(2);
  });

  it('keeps what it knows when the coordinator itself refused, forgets it when no answer came', async () => {
    const fake = fakeCluster({
      failures: {
        // Right after a commit the coordinator refuses the next transaction's partitions for a moment.
        addPartitionsToTxn: Object.assign(new Error('concurrent transactions'), {
          type: 'CONCURRENT_TRANSACTIONS',
        }),
        addOffsetsToTxn: Object.assign(new Error('Connection error: ECONNREFUSED'), {
          name: 'KafkaJSConnectionError',
        }),
      },
    });
    const { cluster, lookups } = fake;
    cache(fake);
    const txn = { groupId: 'app-0_1', coordinatorType: TRANSACTION };
    const broker = await coordinator(cluster, txn);
    await expect(broker.addPartitionsToTxn()).rejects.toMatchObject({ type: 'CONCURRENT_TRANSACTIONS' });
    await coordinator(cluster, txn);
    expect(lookups).toHaveLength(1);
    await expect(broker.addOffsetsToTxn()).rejects.toThrow('ECONNREFUSED');
    await coordinator(cluster, txn);
    expect(lookups).toHaveLength(2);
  });

  it('does not remember a lookup that failed', async () => {
    const fake = fakeCluster({ failLookups: 1 });
    const { cluster, lookups } = fake;
    cache(fake);
    const txn = { groupId: 'app-0_1', coordinatorType: TRANSACTION };
    await expect(coordinator(cluster, txn)).rejects.toThrow('coordinator not available');
    await coordinator(cluster, txn);
    await coordinator(cluster, txn);
    expect(lookups).toHaveLength(2);
  });

  it('names what it expected of kafkajs when the cluster or a broker is shaped otherwise', () => {
    expect(() => cacheCoordinators({ findBroker: async () => ({}) })).toThrow(KafkaClientMismatchError);
    const watch = cacheCoordinators(fakeCluster().cluster);
    expect(() => watch({ initProducerId: async () => ({}) })).toThrow(/no addPartitionsToTxn function/);
  });

  it("is given to the clusters of transactional producers the adapter makes, and to no other client's", () => {
    const kafka = new Kafka({ clientId: 'cache-test', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING });
    applyFetchRewrite(kafka);
    // Catch the clusters the (rewritten) factory makes, without connecting anything.
    const instance = kafka as unknown as Record<symbol, (options: unknown) => unknown>;
    const factory = Object.getOwnPropertySymbols(instance).find(
      (symbol) => symbol.description === 'private:Kafka:createCluster',
    )!;
    const made: Array<Record<string, unknown>> = [];
    const rewritten = instance[factory]!;
    instance[factory] = (options) => {
      const cluster = rewritten(options) as Record<string, unknown>;
      made.push(cluster);
      return cluster;
    };
    withClusterWatch(cacheCoordinators, () =>
      kafka.producer({ transactionalId: 'app-0_1', idempotent: true }),
    );
    kafka.producer();
    kafka.consumer({ groupId: 'app' });
    expect(made).toHaveLength(3);
    const own = (cluster: Record<string, unknown>) => Object.hasOwn(cluster, 'findGroupCoordinatorMetadata');
    expect(made.map(own)).toEqual([true, false, false]);
  });
});
