import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { KAFKA_CLIENTS, type KafkaClient } from '../../src/kafka/connection.ts';
import { DedicatedBroker } from '../support/dedicated-broker.ts';
import { javaReadCommitted } from '../support/java-clients.ts';
import { denyWrite } from '../support/kafka-acls.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import {
  countProblems,
  inputCounts,
  latestCounts,
  reached,
  reachedOrPassed,
  wordCountApp,
  wordRecords,
} from '../support/word-count.ts';
import { WorkerProcess, activeCount, type LogLine } from '../support/worker-process.ts';

const string = Serdes.String();
const WORDS = 20;
const PARTITIONS = 4;

/**
 * Faults of the broker itself, on a broker of this file's own (restarted here, so never the one the
 * other tests share). It runs an authorizer that allows everything without an ACL, so that a test
 * can deny one topic.
 */
describe.skipIf(!kafkaBrokers())('broker faults', () => {
  let broker: DedicatedBroker;
  let kit: KafkaKit;
  const workers: WorkerProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    broker = await DedicatedBroker.start('kafka-faults', [
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found=true',
    ]);
    kit = new KafkaKit(broker.brokers);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
  });
  afterAll(async () => {
    await kit?.close();
    await broker?.remove();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  /** Records written to a topic so far (the sum of its partitions' ends), read once the broker answers. */
  async function written(topic: string): Promise<bigint> {
    for (;;) {
      try {
        const ends = await kit.admin.offsets(topic);
        return [...ends.values()].reduce((sum, range) => sum + BigInt(range.high), 0n);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  function start(
    name: string,
    env: Record<string, string>,
    guarantee: string,
    /** The `kafka-client` setting; the environment's (KAFKA_CLIENT, else the default) when absent. */
    client?: KafkaClient,
  ): WorkerProcess {
    const stateDir = join(tmpdir(), uniqueName(`tributary-${name}`));
    dirs.push(stateDir);
    const worker = WorkerProcess.start({
      name,
      topologies: [wordCountApp],
      brokers: broker.brokers,
      stateDir,
      env: { ...env, ...(client ? { KAFKA_CLIENT: client } : {}) },
      flags: { guarantee },
    });
    workers.push(worker);
    return worker;
  }

  // Through each client: both adapters classify what a restart does to them and rejoin by themselves.
  it.each(KAFKA_CLIENTS)(
    'workers ride out a broker restart under load and go on by themselves: nothing lost under either guarantee, nothing duplicated under exactly-once (%s)',
    async (client) => {
      const [words, eosCounts, alosCounts] = [uniqueName('words'), uniqueName('eos'), uniqueName('alos')];
      await kit.createTopics({ [words]: PARTITIONS, [eosCounts]: PARTITIONS, [alosCounts]: PARTITIONS });
      // Two applications read the same words: one exactly-once, one at-least-once, a worker each.
      const eosEnv = { WORDS_TOPIC: words, COUNTS_TOPIC: eosCounts, WORD_COUNT_APP_ID: uniqueName('eos') };
      const alosEnv = { WORDS_TOPIC: words, COUNTS_TOPIC: alosCounts, WORD_COUNT_APP_ID: uniqueName('alos') };
      const eos = [start('eos', eosEnv, 'exactly-once', client)];
      const alos = [start('alos', alosEnv, 'at-least-once', client)];
      // Each worker runs its application's eight tasks (two sub-topologies, four partitions).
      await Promise.all([...eos, ...alos].map((w) => w.waitForAssignment(activeCount(2 * PARTITIONS))));

      const feed = kit.feed(words, string, string, (i) => wordRecords(i, 1, WORDS)[0]!, {
        chunk: 20,
        pauseMs: 20,
      });
      // Under load: records flow through both applications when the broker goes down.
      await kit.readUntil(eosCounts, (r) => r.length >= 200, { readCommitted: true });
      await kit.readUntil(alosCounts, (r) => r.length >= 200, { readCommitted: true });
      await broker.stop();
      const stopped = Date.now();
      await broker.restart();
      const restarted = Date.now();
      const [eosEnd, alosEnd] = [await written(eosCounts), await written(alosCounts)];
      // Both applications write again, with the same processes (measured from the first ends read:
      // at most a moment late).
      const tails = () => [...eos, ...alos].map((w) => w.tail(15)).join('\n');
      await Promise.all([
        waitUntil(async () => (await written(eosCounts)) > eosEnd, 180_000, tails),
        waitUntil(async () => (await written(alosCounts)) > alosEnd, 180_000, tails),
      ]);
      console.info(
        `${client}: broker down ${restarted - stopped} ms; output resumed ${Date.now() - restarted} ms after the broker was back`,
      );
      const producedBeforeRestartEnded = feed.produced;
      // Records written after the restart are processed by the same workers.
      await waitUntil(() => feed.produced >= producedBeforeRestartEnded + 1_000);
      await feed.stop();

      // What the input holds is the oracle (the feed sends a chunk again that failed while the broker was down).
      const expected = inputCounts(await kit.readAll(words));
      const eosOutput = await kit.readUntil(eosCounts, (r) => reached(r, expected), {
        readCommitted: true,
        timeoutMs: 150_000,
      });
      // Exactly-once: every word counted 1, 2, ... n in the committed output, nothing skipped or repeated.
      expect(countProblems(eosOutput, expected)).toEqual([]);
      // The same as Kafka's own Java read_committed consumer sees it: one committed count per input record.
      const javaCounts = new Map<string, number>();
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const { records } = await javaReadCommitted(broker.brokers, eosCounts, partition, 0n);
        for (const r of records) javaCounts.set(r.key, (javaCounts.get(r.key) ?? 0) + 1);
      }
      expect(javaCounts).toEqual(expected);
      const alosOutput = await kit.readUntil(alosCounts, (r) => reachedOrPassed(r, expected), {
        readCommitted: true,
        timeoutMs: 150_000,
      });
      // At-least-once: nothing lost (a record processed twice may count twice).
      for (const [word, count] of expected)
        expect(latestCounts(alosOutput).get(word), word).toBeGreaterThanOrEqual(count);

      for (const worker of [...eos, ...alos]) {
        // The same processes throughout: none failed, and each noticed the broker going away.
        expect(worker.running, worker.tail()).toBe(true);
        expect(worker.logs.filter((l) => l.level >= 50)).toEqual([]);
        expect(
          worker.logs.some(sawBrokerGo),
          `${worker.name} did not notice the broker going\n${worker.tail()}`,
        ).toBe(true);
      }
      // And they still stop cleanly.
      for (const worker of [...eos, ...alos]) expect(await worker.stop()).toBe(0);
    },
    420_000,
  );

  it.each(['exactly-once', 'at-least-once'])(
    'a worker denied writing its output exits promptly with code 2, saying why in its last log line (%s)',
    async (guarantee) => {
      const [words, counts] = [uniqueName('words'), uniqueName('denied')];
      await kit.createTopics({ [words]: 2, [counts]: 2 });
      await denyWrite(broker.brokers, counts);
      const worker = start(
        'denied',
        { WORDS_TOPIC: words, COUNTS_TOPIC: counts, WORD_COUNT_APP_ID: uniqueName('denied') },
        guarantee,
      );
      await worker.waitForAssignment();
      await kit.produce(words, string, string, wordRecords(0, 50, WORDS));

      const code = await worker.exited;
      expect(code).toBe(2);
      const failed = worker.lines('application failed')[0] ?? worker.logs.find((l) => l.level >= 50)!;
      const last = worker.logs.at(-1)!;
      // Within seconds of the failure, with nothing left running that keeps the process alive.
      expect(last.time - failed.time).toBeLessThan(10_000);
      // On failure, the lines that came after the failure say what was still running.
      const tail = JSON.stringify(worker.logs.slice(worker.logs.indexOf(failed)), null, 1);
      expect(last.level, tail).toBe(50);
      expect(last.msg).toMatch(/^worker failed: /);
      expect(last.msg).toContain('TOPIC_AUTHORIZATION_FAILED');
      expect(last.msg).toContain(counts);
      // Authorization is not retried: the failure comes at the first attempt to write.
      expect(worker.logs.filter((l) => /retrying/.test(l.msg))).toEqual([]);
    },
  );
});

/** A log line of a worker that lost the broker: a client's connection errors, or the worker's own retries. */
function sawBrokerGo(line: LogLine): boolean {
  return /ECONNREFUSED|lost its connection|retrying|could not complete/.test(
    `${line.msg} ${JSON.stringify(line.err ?? '')} ${String(line.stack ?? '')}`,
  );
}

async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 120_000,
  state: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out\n${state()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
