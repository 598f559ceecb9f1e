// Interactive queries: key lookups per second and their latency, read directly from a local store, over
// HTTP at the worker that owns the key, and over HTTP at the other worker (forwarded to the owner), in
// one run; plus range reads merged from both workers. Two worker processes (`tributary run` with
// --http) share a 4-partition table of string keys in LevelDB on a real broker; this process is the
// client, over kept-alive connections.
//
//   KAFKA_BROKERS=127.0.0.1:39092 npm run bench:query -- [--keys 10000] [--requests 20000]
//     [--concurrency 16] [--no-write]
//
// Prints a table and the machine, and writes them to docs/benchmarks.md under "Interactive queries"
// (unless --no-write). The broker defaults to the one scripts/kafka/start.sh starts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { kafkaEventLog } from '../../src/kafka/kafkajs/event-log.ts';
import { StoreCatalog } from '../../src/query/catalog.ts';
import { readKey } from '../../src/query/local-reads.ts';
import { silentLogger } from '../../src/common/logger.ts';
import type { AppRunner } from '../../src/runtime/worker/app-runner.ts';
import { setUpTopics } from '../../src/runtime/worker/topics.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import type { ReadOnlyKeyValueStore } from '../../src/state/api.ts';
import type { Topology } from '../../src/topology/topology.ts';
import { openStore } from '../../src/state/managed-store.ts';
import { describeMachine } from './machine.ts';
import { writeBenchmarkSection } from './orders.ts';

export const QUERY_BENCH_HEADING = 'Interactive queries';
const root = fileURLToPath(new URL('../../', import.meta.url));
const PARTITIONS = 4;

interface Row {
  readonly name: string;
  readonly count: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface QueryBenchOptions {
  readonly brokers?: string;
  readonly keys?: number;
  readonly requests?: number;
  readonly concurrency?: number;
}

export async function benchQueries(options: QueryBenchOptions = {}) {
  const brokers = options.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:39092';
  const keys = options.keys ?? 10_000;
  const requests = options.requests ?? 20_000;
  const concurrency = options.concurrency ?? 16;
  const id = randomUUID().slice(0, 8);
  const topic = `bench-query-${id}`;
  const app = `bench-query-${id}`;
  process.env.BENCH_QUERY_TOPIC = topic;
  process.env.BENCH_QUERY_APP = app;
  const { default: benchApp, values } = await import('./query-app.ts');

  const port = kafkaEventLog({ brokers: brokers.split(','), clientId: 'bench-query', logger: silentLogger });
  const admin = port.admin();
  const dirs: string[] = [];
  const workers: Worker[] = [];
  const load = loadavg()[0]!;
  try {
    await admin.createTopics([{ topic, partitions: PARTITIONS, config: {} }]);
    // The internal topics up front, answering offset requests before the workers start.
    const internal = await setUpTopics({
      admin,
      topology: benchApp.buildTopology(),
      applicationId: app,
      deadLetterTopic: undefined,
      logger: silentLogger,
    });
    await until(async () => {
      for (const t of internal.keys()) await admin.offsets(t);
      return true;
    }, 'internal topics answer offset requests');

    const a = await startWorker(brokers, dirs);
    workers.push(a);
    await until(() => groupOf(a, 1), `${a.endpoint} is ready`);
    const b = await startWorker(brokers, dirs);
    workers.push(b);
    await until(async () => (await groupOf(a, 2)) && (await groupOf(b, 2)), 'both workers share the table');

    const text = 'x'.repeat(100);
    const producer = port.producer({ clientId: 'bench-query' });
    const all = Array.from({ length: keys }, (_v, i) => `key-${String(i).padStart(6, '0')}`);
    for (let i = 0; i < keys; i += 1000) {
      await producer.send(
        all.slice(i, i + 1000).map((key, j) => {
          const keyBytes = values.keySerde.serialize(key);
          return {
            topic,
            partition: partitionForKey(keyBytes, PARTITIONS),
            key: keyBytes,
            value: values.valueSerde.serialize({ n: i + j, text }),
            timestamp: Date.now(),
            headers: {},
          };
        }),
      );
    }
    await producer.close();
    await until(
      async () => (await entries(a)) + (await entries(b)) === keys,
      `all ${keys} keys in the stores`,
      120_000,
    );

    const owners = await ownersByPartition(a);
    const ownedBy = (worker: Worker) =>
      all.filter((k) => owners[partitionForKey(Buffer.from(k), PARTITIONS)] === worker.endpoint);
    const onA = ownedBy(a);
    const onB = ownedBy(b);
    const client = new HttpClient(concurrency);
    const rows: Row[] = [];
    rows.push(await direct(benchApp.buildTopology(), all, requests * 10, text));
    rows.push(
      await client.run(
        'HTTP, key at the worker asked',
        requests,
        (i) => `${a.url}/stores/latest/keys/${pick(onA, i)}`,
      ),
    );
    rows.push(
      await client.run(
        'HTTP, forwarded to the other worker',
        requests,
        (i) => `${a.url}/stores/latest/keys/${pick(onB, i)}`,
      ),
    );
    rows.push(
      await client.run('HTTP, range of 100 keys from both workers', Math.ceil(requests / 10), (i) => {
        const from = pick(all, i);
        return `${a.url}/stores/latest?from=${from}&limit=100`;
      }),
    );
    client.close();
    return {
      rows,
      keys,
      requests,
      concurrency,
      load,
      machine: describeMachine(),
      onA: onA.length,
      onB: onB.length,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await admin.deleteTopics([topic, `${app}-latest-changelog`]).catch(() => undefined);
    await admin.close();
  }
}

/** The owner's work per request without HTTP: a LevelDB store read and the entry rendered as JSON. */
async function direct(topology: Topology, all: readonly string[], count: number, text: string): Promise<Row> {
  const spec = topology.stores.get('latest')!;
  const dir = mkdtempSync(join(tmpdir(), 'bench-query-direct-'));
  const store = await openStore(spec, { directory: dir, now: () => 0 });
  try {
    const kv = store.store as unknown as ReadOnlyKeyValueStore<string, unknown> & {
      put(k: string, v: unknown): void;
    };
    for (const [n, key] of all.entries()) kv.put(key, { value: { n, text }, timestamp: n });
    await store.commit(undefined);
    const entry = new StoreCatalog([{ applicationId: 'bench', topology } as unknown as AppRunner]).resolve(
      'latest',
    );
    const latencies = new Float64Array(count);
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      JSON.stringify(readKey(entry, store.store, pick(all, i * 7919)));
      latencies[i] = performance.now() - t;
    }
    const elapsed = performance.now() - started;
    return row('direct: LevelDB store read + JSON, no HTTP', count, elapsed, latencies);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Keeps `concurrency` requests in flight over kept-alive connections; latency per request. */
class HttpClient {
  private readonly agent: Agent;
  private readonly concurrency: number;

  constructor(concurrency: number) {
    this.concurrency = concurrency;
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  async run(name: string, count: number, url: (i: number) => string): Promise<Row> {
    await this.load(Math.min(1000, count), url, undefined); // warm-up
    const latencies = new Float64Array(count);
    const started = performance.now();
    await this.load(count, url, latencies);
    return row(name, count, performance.now() - started, latencies);
  }

  close(): void {
    this.agent.destroy();
  }

  private async load(count: number, url: (i: number) => string, latencies: Float64Array | undefined) {
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        const status = await this.get(url(i * 7919));
        if (status !== 200) throw new Error(`${url(i * 7919)} answered ${status}`);
        if (latencies) latencies[i] = performance.now() - t;
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, lane));
  }

  private get(url: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: this.agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  }
}

function row(name: string, count: number, elapsedMs: number, latencies: Float64Array): Row {
  const sorted = [...latencies].sort((x, y) => x - y);
  return {
    name,
    count,
    perSecond: count / (elapsedMs / 1000),
    p50Ms: sorted[Math.floor(sorted.length * 0.5)]!,
    p99Ms: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!,
  };
}

function pick<T>(list: readonly T[], i: number): T {
  return list[i % list.length]!;
}

interface Worker {
  readonly endpoint: string;
  readonly url: string;
  stop(): Promise<void>;
}

async function startWorker(brokers: string, dirs: string[]): Promise<Worker> {
  const port = await freePort();
  const endpoint = `127.0.0.1:${port}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-query-'));
  dirs.push(stateDir);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'bin/tributary.js',
      'run',
      'scripts/bench/query-app.ts',
      '--brokers',
      brokers,
      '--state-dir',
      stateDir,
      '--http',
      endpoint,
      '--log-level',
      'warn',
      '--log-format',
      'json',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    endpoint,
    url: `http://${endpoint}`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function groupOf(worker: Worker, members: number): Promise<boolean> {
  const ready = await fetch(`${worker.url}/health/ready`).catch(() => undefined);
  if (ready?.status !== 200) return false;
  const { applications } = (await (await fetch(`${worker.url}/metadata`)).json()) as {
    applications: { endpoints: Record<string, { active: string[] }> }[];
  };
  return Object.values(applications[0]!.endpoints).filter((e) => e.active.length > 0).length === members;
}

async function entries(worker: Worker): Promise<number> {
  const text = await (await fetch(`${worker.url}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^tributary_store_entries\{[^}]*role="active"\} (\d+)$/gm))
    total += Number(match[1]);
  return total;
}

async function ownersByPartition(worker: Worker): Promise<string[]> {
  const { applications } = (await (await fetch(`${worker.url}/metadata?store=latest`)).json()) as {
    applications: { stores: { partitions: { active: string }[] }[] }[];
  };
  return applications[0]!.stores[0]!.partitions.map((p) => p.active);
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await check().catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function format(result: Awaited<ReturnType<typeof benchQueries>>): { table: string; markdown: string } {
  const header = ['case', 'requests', 'per second', 'p50 ms', 'p99 ms'];
  const cells = result.rows.map((r) => [
    r.name,
    r.count.toLocaleString('en-US'),
    Math.round(r.perSecond).toLocaleString('en-US'),
    r.p50Ms < 0.1 ? r.p50Ms.toFixed(4) : r.p50Ms.toFixed(2),
    r.p99Ms < 0.1 ? r.p99Ms.toFixed(4) : r.p99Ms.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(3, h.length, ...cells.map((c) => c[i]!.length)));
  const pad = (text: string, i: number) => (i < 1 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!));
  const line = (c: string[]) => `| ${c.map(pad).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i < 1 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  const setup =
    `${result.keys.toLocaleString('en-US')} string keys (100-byte JSON values) in a 4-partition table in LevelDB, ` +
    `split over two worker processes (${result.onA} and ${result.onB} keys); HTTP with ${result.concurrency} requests in flight`;
  const table = [
    `${setup}\n${result.machine}, load average ${result.load.toFixed(1)}\n`,
    line(header),
    rule,
    ...cells.map(line),
  ].join('\n');
  const markdown = [
    `## ${QUERY_BENCH_HEADING}`,
    '',
    'Key lookups through the query API (`scripts/bench/query.ts`, `npm run bench:query` with a broker): two ' +
      'worker processes (`tributary run --http`) on a real broker, and the benchmark process as the client ' +
      'over kept-alive connections. "Direct" is what the owner does per request without HTTP: a read of ' +
      'the LevelDB store and the entry rendered as JSON. "Forwarded" asks the worker that does not own the ' +
      'key, which asks the owner (one more HTTP hop). The range case merges 100 keys from both workers.',
    '',
    `- Setup: ${setup}.`,
    `- Machine: ${result.machine}; load average ${result.load.toFixed(1)} when the run started (client ` +
      `and both workers share its cores); measured ${new Date().toISOString().slice(0, 10)}.`,
    '',
    line(header),
    rule,
    ...cells.map(line),
    '',
    'The store is not what limits a lookup: reading LevelDB and rendering the entry takes microseconds, ' +
      'the HTTP exchange (parsing, JSON, the socket) takes the rest, on each worker a request passes. A ' +
      'forwarded lookup therefore costs about one more local lookup; clients that know the owner ' +
      '(`/metadata?store=&key=`) can skip the hop. A range reads up to `limit` entries from every ' +
      'partition before merging, so its cost grows with the partition count.',
    '',
  ].join('\n');
  return { table, markdown };
}

export async function run(options: QueryBenchOptions & { readonly write?: boolean } = {}): Promise<void> {
  const result = await benchQueries(options);
  const { table, markdown } = format(result);
  console.log(table);
  if (options.write !== false) {
    const file = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
    writeBenchmarkSection(file, QUERY_BENCH_HEADING, markdown);
    console.log(`\nwritten to ${file} ("${QUERY_BENCH_HEADING}")`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string' },
      requests: { type: 'string' },
      concurrency: { type: 'string' },
      'no-write': { type: 'boolean' },
    },
  });
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
  await run({
    keys: number(values.keys),
    requests: number(values.requests),
    concurrency: number(values.concurrency),
    write: !values['no-write'],
  });
}
