import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { getJson, EventStreamReader } from '../query/harness.ts';
import { prepareApplicationTopics } from '../query/support/topics.ts';
import { eventually } from '../support/eventually.ts';
import { kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import type { WorkerProcess } from '../support/worker-process.ts';
import { useWorkerProcesses } from '../support/worker-suite.ts';

// Six, so that a third worker gets two partitions when it joins (the assignor is sticky up to an even share).
const PARTITIONS = 6;
const long = Serdes.Long();
const json = Serdes.Json<{ n: number }>();
const partitionOf = (key: number) => partitionForKey(long.serialize(key), PARTITIONS);

describe.skipIf(!kafkaBrokers())('interactive queries across worker processes', () => {
  // The workers serve every test of the file.
  const suite = useWorkerProcesses('tributary-query', { workersLive: 'all' });
  const input = uniqueName('query-events');
  const app = uniqueName('query-app');
  const workers: WorkerProcess[] = [];
  const readers: EventStreamReader[] = [];
  let a: WorkerProcess;
  let b: WorkerProcess;

  const start = async () => {
    const worker = await suite.startServing({
      topologies: ['test/query/fixtures/query-app.ts'],
      env: { QUERY_TEST_INPUT: input, QUERY_TEST_APP: app },
    });
    workers.push(worker);
    return worker;
  };
  /** The owner of each partition, by A's metadata. */
  const owners = async (): Promise<string[]> => {
    const { body } = await getJson(`${a.url}/metadata?store=latest`);
    return body.applications[0].stores[0].partitions.map((p: { active: string }) => p.active);
  };

  beforeAll(async () => {
    const { kit } = suite;
    await kit.createTopics({ [input]: PARTITIONS });
    process.env.QUERY_TEST_INPUT = input;
    process.env.QUERY_TEST_APP = app;
    await prepareApplicationTopics(kit.admin, (await import('../query/fixtures/query-app.ts')).default);
    a = await start();
    await a.waitForGroup(1);
    b = await start();
    await b.waitForGroup(2);
    await a.waitForGroup(2);
    await suite.kit.produce(
      input,
      long,
      json,
      Array.from({ length: 20 }, (_v, i) => ({ key: i + 1, value: { n: (i + 1) * 10 } })),
    );
    await eventually(async () => {
      const { body } = await getJson(`${a.url}/stores/latest?limit=100`);
      if (body.entries?.length !== 20) throw new Error(`not all processed: ${JSON.stringify(body)}`);
    });
  });

  afterAll(async () => {
    await Promise.all(readers.map((r) => r.close()));
    await Promise.all(workers.map((w) => w.stop()));
  });

  it('answers every key from either worker, forwarding to the owner', async () => {
    const byPartition = await owners();
    expect(new Set(byPartition)).toEqual(new Set([a.endpoint, b.endpoint]));
    for (let key = 1; key <= 20; key++) {
      for (const worker of [a, b]) {
        const { status, body } = await getJson(`${worker.url}/stores/latest/keys/${key}`);
        expect(status).toBe(200);
        expect(body).toMatchObject({
          store: 'latest',
          key,
          value: { n: key * 10 },
          partition: partitionOf(key),
        });
      }
    }
    expect((await getJson(`${b.url}/stores/counts/keys/3`)).body.value).toBe(1);
    expect((await getJson(`${a.url}/stores/latest/keys/404`)).status).toBe(404);
  });

  it('merges ranges from both workers in key order', async () => {
    const { body } = await getJson(`${b.url}/stores/latest?from=5&to=12&limit=6`);
    expect(body.entries.map((e: { key: number }) => e.key)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(body.truncated).toBe(true);
    const windows = await getJson(`${a.url}/stores/minute-counts?limit=100`);
    expect(windows.body.entries.map((e: { key: number }) => e.key)).toEqual(
      Array.from({ length: 20 }, (_v, i) => i + 1),
    );
    const sessions = await getJson(`${b.url}/stores/sessions?key=7`);
    expect(sessions.body.entries).toEqual([
      expect.objectContaining({
        key: 7,
        value: 1,
        window: expect.objectContaining({ start: expect.any(Number) }),
      }),
    ]);
  });

  it('pushes updates over server-sent events, from wherever the key lives', async () => {
    const byPartition = await owners();
    const remoteKey = [1, 2, 3, 4, 5, 6, 7, 8].find((k) => byPartition[partitionOf(k)] === b.endpoint)!;
    const keyStream = new EventStreamReader(`${a.url}/stores/latest/changes?key=${remoteKey}&initial=true`);
    const allStream = new EventStreamReader(`${b.url}/stores/latest/changes`);
    readers.push(keyStream, allStream);
    await keyStream.waitFor((events) => events.some((e) => e.event === 'current'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await suite.kit.produce(input, long, json, [
      { key: remoteKey, value: { n: 1001 } },
      { key: 1, value: { n: 1002 } },
      { key: 2, value: { n: 1003 } },
    ]);
    await keyStream.waitFor(() => keyStream.data().length === 1, 30_000);
    expect(keyStream.data('current')).toEqual([
      expect.objectContaining({ key: remoteKey, value: { n: remoteKey * 10 } }),
    ]);
    expect(keyStream.data()).toEqual([expect.objectContaining({ key: remoteKey, value: { n: 1001 } })]);
    await allStream.waitFor(() => allStream.data().length >= 3, 30_000);
    expect(
      allStream
        .data()
        .map((d: { key: number }) => d.key)
        .sort(),
    ).toEqual([1, 2, remoteKey].sort());
  });

  it('serves the application’s routes: posted at one worker, long-polled at the other', async () => {
    const posted = await getJson(`${a.url}/v1/events/77`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 7 }),
    });
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({ topic: input, partition: partitionOf(77) });
    const polled = await getJson(`${b.url}/v1/events/77?n=7&timeout=20000`);
    expect(polled).toMatchObject({ status: 200, body: { n: 7 } });
    const timedOut = await getJson(`${a.url}/v1/events/77?n=8&timeout=200`);
    expect(timedOut.status).toBe(504);
  });

  it('rejects bad requests with messages that name the problem', async () => {
    expect(await getJson(`${a.url}/stores/lastest/keys/1`)).toMatchObject({
      status: 404,
      body: {
        error: 'no store "lastest" on this worker; known stores: latest, counts, minute-counts, sessions',
      },
    });
    expect(await getJson(`${b.url}/stores/latest/keys/one`)).toMatchObject({
      status: 400,
      body: { error: 'key "one" of store "latest" cannot be read as a long key: "one" is not a number' },
    });
    expect((await getJson(`${a.url}/stores/latest?from=9&to=1`)).status).toBe(400);
  });

  it('reports metrics and health', async () => {
    const text = await (await fetch(`${a.url}/metrics`)).text();
    expect(text).toMatch(new RegExp(`tributary_records_processed_total\\{application="${app}"\\} [1-9]`));
    expect(text).toMatch(/tributary_consumer_lag\{application="[^"]+",topic="[^"]+",partition="\d"\} \d+/);
    expect(text).toMatch(
      /tributary_store_entries\{application="[^"]+",store="latest",task="0_\d",role="active"\} \d+/,
    );
    expect((await getJson(`${b.url}/health`)).body).toEqual({ status: 'up' });
  });

  it('answers 503 rather than wrong answers while a third worker joins and leaves', async () => {
    // What each key holds now: every answer during the rebalances must be this, or a 503.
    const expected = new Map<number, unknown>();
    for (const key of [1, 2, 3, 4, 5, 6])
      expected.set(key, (await getJson(`${a.url}/stores/latest/keys/${key}`)).body.value);
    const answers = { ok: 0, unavailable: 0 };
    const problems: string[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        for (const worker of [a, b]) {
          for (const key of [1, 2, 3, 4, 5, 6]) {
            const { status, body, headers } = await getJson(`${worker.url}/stores/latest/keys/${key}`);
            if (status === 200 && JSON.stringify(body.value) === JSON.stringify(expected.get(key)))
              answers.ok++;
            else if (status === 503 && headers.get('retry-after') === '1') answers.unavailable++;
            else problems.push(`${worker.endpoint} key ${key}: ${status} ${JSON.stringify(body)}`);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    try {
      const c = await start();
      await c.waitForGroup(3);
      await a.waitForGroup(3);
      const during = answers.unavailable;
      expect(await c.stop()).toBe(0);
      await a.waitForGroup(2);
      await b.waitForGroup(2);
      await new Promise((resolve) => setTimeout(resolve, 500));
      polling = false;
      await poll;
      expect(problems).toEqual([]);
      expect(answers.ok).toBeGreaterThan(0);
      // Each rebalance showed as 503s for a moment: no answers came from a store that was not the owner.
      expect(during).toBeGreaterThan(0);
      expect(answers.unavailable).toBeGreaterThan(during);
    } finally {
      polling = false;
      await poll;
    }
  });
});
