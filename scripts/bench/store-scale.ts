// State larger than memory: a key-value store and a count aggregation at growing key counts, with raw
// classic-level measured in the same run as the baseline. Open time and memory (RSS) are what matter
// here: neither may grow with the number of keys. Every phase runs in a child process of its own, so
// its open time and memory are its own.
//
//   npm run bench:store-scale -- [key counts] [--memory-index-up-to <n>]
//
// Key counts default to 100000,1000000,10000000 (10M keys of 100-byte values take about 1.5 GB per
// store on disk). The key-value store is also opened with every key in an in-memory index (how
// key-value stores were kept before their index moved to disk) up to --memory-index-up-to keys
// (default 1,000,000: at 10M keys that takes minutes and gigabytes).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
// The baseline measures LevelDB itself, without our store in between; src/ never imports it directly.
import { Level } from 'level';
import { Serdes, Stores, StreamsBuilder, defineTopic } from '../../src/index.ts';
import { defaultErrorHandling } from '../../src/runtime/error-handling.ts';
import { silentLogger } from '../../src/common/logger.ts';
import type { ConsumedRecord } from '../../src/runtime/records.ts';
import { savingStore } from '../../src/runtime/changelog-target.ts';
import { RECORDS_PER_SAVE } from '../../src/runtime/worker/restorer.ts';
import { StreamTask } from '../../src/runtime/stream-task.ts';
import { openTaskStores, typedStores } from '../../src/runtime/task-stores.ts';
import type { KeyValueStore, KeyValueStoreSpec } from '../../src/state/api.ts';
import type { ChangelogRecord } from '../../src/state/bytes.ts';
import { ChangeLogger } from '../../src/state/change-logger.ts';
import { LevelDbBytesStore } from '../../src/state/leveldb/leveldb-bytes-store.ts';
import type { KeyIndexKind } from '../../src/state/leveldb/key-index.ts';
import { managedKeyValueStore } from '../../src/state/managed/key-value.ts';
import type { ManagedStore } from '../../src/state/managed-store.ts';
import { KeyRuns } from '../../src/state/runs/key-runs.ts';
import { describeMachine } from './machine.ts';
import { toOffset } from '../../src/common/offset.ts';

/** Keys written between two commits. */
const COMMIT_EVERY = 10_000;
/** Reads sampled per read case, whatever the store's size. */
const SAMPLE = 200_000;
const VALUE_BYTES = 100;

const key = (i: number) => `k${String(i).padStart(9, '0')}`;
/** The i-th key written: a fixed permutation of 0..n-1 (1,000,003 is prime), so writes land all over the key space. */
const scattered = (i: number, n: number) => (i * 1_000_003) % n;
/** Incompressible 100-byte values, as LevelDB would otherwise shrink them to nothing. */
const noise = Buffer.alloc(1 << 16);
for (let i = 0, seed = 7; i < noise.length; i++) noise[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
const value = (i: number) => {
  const at = (i * 97) % (noise.length - VALUE_BYTES);
  return noise.subarray(at, at + VALUE_BYTES);
};
/** Random sample indexes in 0..n-1, the same every run. */
function* sample(n: number, count = SAMPLE): Generator<number> {
  for (let i = 0, seed = 42; i < count; i++) yield (seed = (seed * 1664525 + 1013904223) >>> 0) % n;
}

// ── Measuring ─────────────────────────────────────────────────────────────────────────────────────

interface Memory {
  /** Resident set size now, MiB. */
  readonly rss: number;
  /** Of which anonymous memory (heap, native allocations) rather than mapped files, MiB. */
  readonly anon: number;
  /** The largest RSS the process has had, MiB. */
  readonly peak: number;
  /** The JavaScript heap in use and held, and memory outside it held by JavaScript objects (buffers), MiB. */
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
}

function memory(): Memory {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  const heap = process.memoryUsage();
  return {
    rss: field('VmRSS'),
    anon: field('RssAnon'),
    peak: field('VmHWM'),
    heapUsed: heap.heapUsed / 2 ** 20,
    heapTotal: heap.heapTotal / 2 ** 20,
    external: heap.external / 2 ** 20,
  };
}

interface Timing {
  readonly count: number;
  readonly ms: number;
  readonly cpuMs: number;
}

async function timed(count: number, run: () => unknown): Promise<Timing> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await run();
  const used = process.cpuUsage(cpu);
  return { count, ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

type PhaseResult = Record<string, Timing | Memory | number | string>;

// ── Phases, each in its own process ───────────────────────────────────────────────────────────────

async function rawLoad(directory: string, n: number): Promise<PhaseResult> {
  const db = new Level<string, Buffer>(directory, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const put = await timed(n, async () => {
    for (let i = 0; i < n; i += COMMIT_EVERY) {
      const batch = db.batch();
      for (let j = i; j < Math.min(n, i + COMMIT_EVERY); j++) batch.put(key(scattered(j, n)), value(j));
      await batch.write();
    }
  });
  await db.close();
  return { put, memory: memory() };
}

async function rawRead(directory: string, n: number): Promise<PhaseResult> {
  let db!: Level<string, Buffer>;
  const open = await timed(1, async () => {
    db = new Level<string, Buffer>(directory, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    await db.open();
  });
  const opened = memory();
  const get = await timed(SAMPLE, () => {
    for (const i of sample(n)) if (!db.getSync(key(i))) throw new Error(`${key(i)} is missing`);
  });
  const range = await timed(100 * 1_000, async () => {
    for (const i of sample(n - 100, 1_000)) {
      let read = 0;
      for await (const entry of db.iterator({ gte: key(i), limit: 100 })) read += entry.length;
      if (read !== 200) throw new Error('short range');
    }
  });
  await db.close();
  return { open, opened, get, range, memory: memory() };
}

interface Opened {
  readonly managed: ManagedStore;
  readonly bytes: LevelDbBytesStore;
}

/** Opens a key-value store as a task does (`openStore`), keeping hold of its bytes store. */
async function openKeyValue(
  spec: KeyValueStoreSpec,
  directory: string,
  index: KeyIndexKind,
  now: () => number = () => 0,
): Promise<Opened> {
  const bytes = await LevelDbBytesStore.open(join(directory, spec.name), { index });
  return { managed: managedKeyValueStore(spec, bytes, new ChangeLogger(), now), bytes };
}

const kvSpec = Stores.keyValue({ name: 'kv', keySerde: Serdes.String(), valueSerde: Serdes.Bytes() });

/** Waits for the key index's background merges, so a phase's figures include their work. */
async function mergesDone(bytes: LevelDbBytesStore): Promise<number> {
  const index = bytes.keyIndex;
  if (!(index instanceof KeyRuns)) return 0;
  for (let merge = index.mergeInProgress; merge; merge = index.mergeInProgress) await merge;
  return index.runCount;
}

async function keyValueLoad(directory: string, n: number, index: KeyIndexKind): Promise<PhaseResult> {
  const { managed, bytes } = await openKeyValue(kvSpec, directory, index);
  const store = managed.store as KeyValueStore<string, Uint8Array>;
  let runs = 0;
  const put = await timed(n, async () => {
    for (let i = 0; i < n; i++) {
      store.put(key(scattered(i, n)), value(i));
      if ((i + 1) % COMMIT_EVERY === 0 || i === n - 1) {
        managed.drainChangelog();
        await managed.commit(toOffset(i));
      }
    }
    runs = await mergesDone(bytes);
  });
  await managed.close();
  return { put, runs, memory: memory() };
}

async function keyValueRead(directory: string, n: number, index: KeyIndexKind): Promise<PhaseResult> {
  let managed!: ManagedStore;
  const open = await timed(1, async () => {
    ({ managed } = await openKeyValue(kvSpec, directory, index));
  });
  const opened = memory();
  const store = managed.store as KeyValueStore<string, Uint8Array>;
  const get = await timed(SAMPLE, () => {
    for (const i of sample(n)) if (!store.get(key(i))) throw new Error(`${key(i)} is missing`);
  });
  const missing = await timed(SAMPLE, () => {
    for (const i of sample(n)) if (store.get(`${key(i)}-`)) throw new Error('found a missing key');
  });
  const range = await timed(100 * 1_000, () => {
    for (const i of sample(n - 100, 1_000)) {
      let read = 0;
      for (const entry of store.range(key(i), key(i + 99))) read += entry.value.length > 0 ? 1 : 0;
      if (read !== 100) throw new Error(`range from ${key(i)}: ${read} entries`);
    }
  });
  await managed.close();
  return { open, opened, get, missing, range, memory: memory() };
}

const words = defineTopic('words', Serdes.String(), Serdes.String());
const counts = defineTopic('word-counts', Serdes.String(), Serdes.Long());

function countTopology() {
  const builder = new StreamsBuilder();
  builder.stream(words).groupByKey().count({ storeName: 'counts' }).toStream().to(counts);
  return builder.build();
}

/**
 * A count aggregation through a real task (the worker's path, without Kafka): n records, one per key
 * (each a key the store has not seen), changelogs drained and stores committed every 10,000 records as a worker's commit would.
 */
async function countPhase(directory: string, n: number): Promise<PhaseResult> {
  const topology = countTopology();
  const subtopology = topology.subtopologies[0]!;
  const current: { task?: StreamTask } = {};
  const spec = subtopology.stores[0] as KeyValueStoreSpec;
  const { managed, bytes } = await openKeyValue(
    spec,
    directory,
    'runs',
    () => current.task?.currentTimestamp ?? -1,
  );
  const stores = new Map([[spec.name, managed]]);
  let outputs = 0;
  const task = new StreamTask({
    applicationId: 'bench',
    topology,
    subtopology,
    partition: 0,
    stores: typedStores(stores),
    collector: { send: () => void outputs++ },
    partitionCount: () => 1,
    wallClock: () => Date.now(),
    errorHandling: defaultErrorHandling,
    logger: silentLogger,
  });
  current.task = task;
  task.init();
  const text = new TextEncoder();
  const records = n;
  let runs = 0;
  const processed = await timed(records, async () => {
    for (let i = 0; i < records; i++) {
      const record: ConsumedRecord = {
        topic: 'words',
        partition: 0,
        offset: toOffset(i),
        timestamp: i,
        key: text.encode(key(scattered(i % n, n))),
        value: text.encode('w'),
        headers: {},
      };
      task.process(record);
      if ((i + 1) % COMMIT_EVERY === 0 || i === records - 1)
        for (const store of stores.values()) {
          store.drainChangelog();
          await store.commit(toOffset(i + 1));
        }
    }
    runs = await mergesDone(bytes);
  });
  task.close();
  for (const store of stores.values()) await store.close();
  if (outputs !== records) throw new Error(`${outputs} outputs for ${records} records`);
  return { processed, runs, memory: memory() };
}

async function countOpen(directory: string, n: number): Promise<PhaseResult> {
  const subtopology = countTopology().subtopologies[0]!;
  let stores!: Map<string, ManagedStore>;
  const open = await timed(1, async () => {
    stores = await openTaskStores(subtopology, directory, () => 0);
  });
  const opened = memory();
  const counts = stores.get('counts')!.store as KeyValueStore<string, { value: number }>;
  const get = await timed(SAMPLE, () => {
    for (const i of sample(n)) if (counts.get(key(i))?.value !== 1) throw new Error(`count of ${key(i)}`);
  });
  for (const store of stores.values()) await store.close();
  return { open, opened, get, memory: memory() };
}

/**
 * A restore as a worker runs it, without Kafka: n changelog records (distinct keys) applied in batches
 * of 500, as fetched, with the restorer's save every RECORDS_PER_SAVE records, then the final commit.
 */
async function restorePhase(directory: string, n: number): Promise<PhaseResult> {
  const { managed } = await openKeyValue(kvSpec, directory, 'runs');
  const save = savingStore(managed);
  const text = new TextEncoder();
  const restored = await timed(n, async () => {
    let unsaved = 0;
    for (let i = 0; i < n;) {
      const batch: ChangelogRecord[] = [];
      for (const end = Math.min(n, i + 500); i < end; i++)
        batch.push({ key: text.encode(key(scattered(i, n))), value: value(i), timestamp: i });
      managed.restore(batch);
      unsaved += batch.length;
      if (unsaved >= RECORDS_PER_SAVE) {
        unsaved = 0;
        save(toOffset(i));
      }
      // A fetch comes back through the event loop, where the saves' LevelDB writes finish.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await managed.commit(toOffset(n));
  });
  await managed.close();
  return { restored, memory: memory() };
}

const phases: Record<string, (directory: string, n: number, index: KeyIndexKind) => Promise<PhaseResult>> = {
  'raw-load': rawLoad,
  'raw-read': rawRead,
  'kv-load': keyValueLoad,
  'kv-read': keyValueRead,
  count: countPhase,
  'count-open': countOpen,
  restore: restorePhase,
};

// ── The run: phases in child processes, a table per key count ────────────────────────────────────

function runPhase(phase: string, directory: string, n: number, index: KeyIndexKind = 'runs'): PhaseResult {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, script, '--phase', phase, directory, String(n), index],
    { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (child.status !== 0) throw new Error(`phase ${phase} (${n} keys) failed with status ${child.status}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as PhaseResult;
}

const rate = (t: Timing) => Math.round(t.count / (t.ms / 1000)).toLocaleString('en');
/** Wall time (which a loaded machine stretches) and, in brackets, CPU time. */
const opening = (t: Timing) => `${t.ms.toFixed(0)} (${t.cpuMs.toFixed(0)} CPU)`;
const micros = (t: Timing) => ((t.cpuMs * 1000) / t.count).toFixed(2);
const mib = (m: Memory) => `${m.rss.toFixed(0)} (${m.anon.toFixed(0)} anon), peak ${m.peak.toFixed(0)}`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');

export async function run(sizes: number[] = [100_000, 1_000_000, 10_000_000], memoryIndexUpTo = 1_000_000) {
  console.log(
    `Store scale on ${describeMachine()}; ${VALUE_BYTES}-byte values, ${SAMPLE.toLocaleString('en')} sampled reads`,
  );
  for (const n of sizes) {
    console.log(`\n### ${n.toLocaleString('en')} keys (load average ${load()})\n`);
    const header = [
      'store',
      'operation',
      'ops/s',
      'CPU µs/op',
      'open ms (CPU ms)',
      'RSS MiB at the end (anonymous), peak',
    ];
    console.log(`| ${header.join(' | ')} |`);
    console.log(`| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`);
    // Each row as soon as it is measured: a run at ten million keys takes a long time.
    const row = (...cells: string[]) => console.log(`| ${cells.join(' | ')} |`);
    const root = mkdtempSync(join(tmpdir(), 'tributary-scale-'));
    try {
      const raw = join(root, 'raw');
      const rawLoaded = runPhase('raw-load', raw, n);
      row(
        'classic-level (raw)',
        'batch put, 10,000 per batch',
        rate(rawLoaded.put as Timing),
        micros(rawLoaded.put as Timing),
        '',
        mib(rawLoaded.memory as Memory),
      );
      const rawRead = runPhase('raw-read', raw, n);
      row(
        'classic-level (raw)',
        'open',
        '',
        '',
        opening(rawRead.open as Timing),
        mib(rawRead.opened as Memory),
      );
      row(
        'classic-level (raw)',
        'getSync, random keys',
        rate(rawRead.get as Timing),
        micros(rawRead.get as Timing),
        '',
        '',
      );
      row(
        'classic-level (raw)',
        'iterator, 100 entries from a random key',
        rate(rawRead.range as Timing),
        micros(rawRead.range as Timing),
        '',
        mib(rawRead.memory as Memory),
      );
      rmSync(raw, { recursive: true, force: true });

      const kv = join(root, 'kv');
      const loaded = runPhase('kv-load', kv, n);
      row(
        'key-value store',
        `put, commit every ${COMMIT_EVERY.toLocaleString('en')} (${String(loaded.runs)} runs after merges)`,
        rate(loaded.put as Timing),
        micros(loaded.put as Timing),
        '',
        mib(loaded.memory as Memory),
      );
      const read = runPhase('kv-read', kv, n);
      row('key-value store', 'open', '', '', opening(read.open as Timing), mib(read.opened as Memory));
      row(
        'key-value store',
        'get, random keys (cold)',
        rate(read.get as Timing),
        micros(read.get as Timing),
        '',
        '',
      );
      row(
        'key-value store',
        'get, missing keys',
        rate(read.missing as Timing),
        micros(read.missing as Timing),
        '',
        '',
      );
      row(
        'key-value store',
        'range of 100 from a random key, entries read',
        rate(read.range as Timing),
        micros(read.range as Timing),
        '',
        mib(read.memory as Memory),
      );
      if (n <= memoryIndexUpTo) {
        const before = runPhase('kv-read', kv, n, 'memory');
        row(
          'key-value store, keys in memory',
          'open',
          '',
          '',
          opening(before.open as Timing),
          mib(before.opened as Memory),
        );
        row(
          'key-value store, keys in memory',
          'get, random keys (cold)',
          rate(before.get as Timing),
          micros(before.get as Timing),
          '',
          '',
        );
        row(
          'key-value store, keys in memory',
          'range of 100 from a random key, entries read',
          rate(before.range as Timing),
          micros(before.range as Timing),
          '',
          mib(before.memory as Memory),
        );
      }
      rmSync(kv, { recursive: true, force: true });

      const task = join(root, 'task');
      const counted = runPhase('count', task, n);
      row(
        'count aggregation (task)',
        `a record per key, commit every ${COMMIT_EVERY.toLocaleString('en')}`,
        rate(counted.processed as Timing),
        micros(counted.processed as Timing),
        '',
        mib(counted.memory as Memory),
      );
      const reopened = runPhase('count-open', task, n);
      row(
        'count aggregation (task)',
        'open its store',
        '',
        '',
        opening(reopened.open as Timing),
        mib(reopened.opened as Memory),
      );
      row(
        'count aggregation (task)',
        'get a count, random keys (cold)',
        rate(reopened.get as Timing),
        micros(reopened.get as Timing),
        '',
        mib(reopened.memory as Memory),
      );

      const restoredInto = join(root, 'restored');
      const restore = runPhase('restore', restoredInto, n);
      row(
        'key-value store',
        `restore from changelog records, saved every ${RECORDS_PER_SAVE.toLocaleString('en')}`,
        rate(restore.restored as Timing),
        micros(restore.restored as Timing),
        '',
        mib(restore.memory as Memory),
      );
      rmSync(restoredInto, { recursive: true, force: true });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  console.log(`\nload average at the end: ${load()}`);
}

if (process.argv[2] === '--phase') {
  const [, , , phase, directory, n, index] = process.argv;
  const result = await phases[phase!]!(directory!, Number(n), index as KeyIndexKind);
  console.log(JSON.stringify(result));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const flag = args.indexOf('--memory-index-up-to');
  const memoryIndexUpTo = flag >= 0 ? Number(args.splice(flag, 2)[1]) : undefined;
  const sizes = args[0]?.split(',').map(Number);
  await run(sizes, memoryIndexUpTo);
}
