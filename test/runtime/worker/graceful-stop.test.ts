import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Serdes } from 'tributary';
import { EmbeddedLog } from '../../../src/embedded/embedded-log.ts';
import { embeddedEventLog } from '../../../src/embedded/event-log.ts';
import {
  RebalanceInProgressError,
  type EventLogPort,
  type GroupConsumerPort,
  type OutgoingRecord,
} from '../../../src/kafka/port.ts';
import { partitionForKey } from '../../../src/runtime/partitioner.ts';
import { silentLogger } from '../../../src/common/logger.ts';
import { loadWorkerConfig } from '../../../src/runtime/worker/config.ts';
import { Worker } from '../../../src/worker/worker.ts';
// The word count the integration tests run, on its default topics: `words` in, `word-counts` out.
import wordCountApp from '../../integration/fixtures/word-count-app.ts';

const string = Serdes.String();
const long = Serdes.Long();
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The embedded log with one difference: a group refuses offset commits from the moment a rebalance
 * starts until the member has its new assignment, as a Kafka group does for a member whose
 * generation is behind (the embedded coordinator accepts them). Counts the refusals, tells which
 * members are between a revocation and their next assignment, and can hold new assignments back
 * (`holdAssignments`, until the function it returns is called), so a test can act inside that moment
 * however slow the machine.
 */
function refusingCommitsWhileRebalancing(port: EventLogPort) {
  let held: Promise<void> | undefined;
  const wrapped = {
    ...port,
    refused: 0,
    rebalancing: new Set<GroupConsumerPort>(),
    holdAssignments(): () => void {
      let release!: () => void;
      held = new Promise((resolve) => (release = resolve));
      return () => {
        held = undefined;
        release();
      };
    },
    groupConsumer: (options: Parameters<EventLogPort['groupConsumer']>[0]): GroupConsumerPort => {
      const consumer = port.groupConsumer(options);
      const member: GroupConsumerPort = {
        start: (handlers) =>
          consumer.start({
            ...handlers,
            onRevoking: () => {
              wrapped.rebalancing.add(member);
              handlers.onRevoking();
            },
            onAssigned: async (assignment) => {
              await held;
              wrapped.rebalancing.delete(member);
              return handlers.onAssigned(assignment);
            },
          }),
        commit: async (offsets, commitOptions) => {
          if (wrapped.rebalancing.has(member) && offsets.length > 0) {
            wrapped.refused++;
            throw new RebalanceInProgressError();
          }
          await consumer.commit(offsets, commitOptions);
        },
        pause: (partitions) => consumer.pause(partitions),
        resume: (partitions) => consumer.resume(partitions),
        seek: (position) => consumer.seek(position),
        rejoin: () => consumer.rejoin(),
        stop: () => {
          wrapped.rebalancing.delete(member);
          return consumer.stop();
        },
      };
      return member;
    },
  };
  return wrapped;
}

describe('a graceful stop', () => {
  it('commits before leaving the group even when the group first refuses it for a rebalance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-graceful-stop-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const log = EmbeddedLog.open(join(dir, 'log'));
    cleanups.push(() => log.close());
    log.createTopic('words', 4);
    log.createTopic('word-counts', 4);
    const port = refusingCommitsWhileRebalancing(embeddedEventLog(log));
    const worker = (stateDir: string) => {
      // No commit falls due during the test: only the rebalances and the stops commit.
      const config = loadWorkerConfig({
        flags: { 'state-dir': join(dir, stateDir), 'commit-interval-ms': '600000' },
        env: {},
      });
      const app = { applicationId: wordCountApp.applicationId, topology: wordCountApp.buildTopology() };
      const w = new Worker([app], config, port, silentLogger);
      cleanups.push(() => w.stop());
      return w;
    };
    const produce = async (words: readonly string[], from: number) => {
      const records: OutgoingRecord[] = words.map((word, i) => {
        const key = string.serialize(`k${from + i}`);
        return {
          topic: 'words',
          partition: partitionForKey(key, 4),
          key,
          value: string.serialize(word),
          timestamp: Date.now(),
          headers: {},
        };
      });
      await port.producer({}).send(records);
    };
    const output = () => {
      const latest = new Map<string, number>();
      let records = 0;
      for (let p = 0; p < 4; p++)
        for (const r of log.partition('word-counts', p).read(0, true, 1_000_000, 1 << 30).records) {
          latest.set(string.deserialize(r.key!), long.deserialize(r.value!));
          records++;
        }
      return { latest: Object.fromEntries(latest), records };
    };

    const a = worker('a');
    const b = worker('b');
    await a.start();
    await b.start();
    const active = (w: Worker) => w.runner(wordCountApp.applicationId)!.assignment.active;
    await vi.waitFor(() => expect([active(a).length, active(b).length]).toEqual([4, 4]), {
      timeout: 10_000,
      interval: 20,
    });
    await produce(['apple', 'pear', 'apple', 'fig', 'pear', 'apple'], 0);
    await vi.waitFor(() => expect(output().latest).toEqual({ apple: 3, pear: 2, fig: 1 }), {
      timeout: 10_000,
      interval: 20,
    });

    // A stops and leaves: the group rebalances and refuses B's commits until B has its new
    // assignment, which is held back until B has been asked to stop and been refused.
    const release = port.holdAssignments();
    await a.stop();
    await vi.waitFor(() => expect(port.rebalancing.size).toBe(1), { timeout: 10_000, interval: 20 });
    const stopping = b.stop();
    await vi.waitFor(() => expect(port.refused).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    release();
    await stopping;

    const again = worker('a');
    await again.start();
    await produce(['apple', 'kiwi'], 6);
    await vi.waitFor(() => expect(output().latest).toEqual({ apple: 4, pear: 2, fig: 1, kiwi: 1 }), {
      timeout: 10_000,
      interval: 20,
    });
    // Nothing from before the stops was counted again: one count record per word record.
    expect(output().records).toBe(8);
  });
});
