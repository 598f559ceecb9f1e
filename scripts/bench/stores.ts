import { toOffset } from '../../src/common/offset.ts';
// Store throughput: our LevelDB-backed typed stores next to raw classic-level in the same run, so the
// figures compare on the same machine and disk.
//
//   node --conditions=tributary-source scripts/bench/stores.ts [entries]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
// The baseline measures LevelDB itself, without our store in between; src/ never imports it directly.
import { Level } from 'level';
import { Serdes, Stores, type KeyValueStore, type StoreSpec, type WindowStore } from '../../src/index.ts';
import { LevelDbBytesStore } from '../../src/state/leveldb/leveldb-bytes-store.ts';
import { openStore, type ManagedStore } from '../../src/state/managed-store.ts';

const ENTRIES = Number(process.argv[2] ?? 100_000);
const COMMIT_EVERY = 1_000;
const VALUE = 'v'.repeat(100);
const root = mkdtempSync(join(tmpdir(), 'tributary-bench-stores-'));

interface Row {
  readonly store: string;
  readonly operation: string;
  readonly count: number;
  readonly ms: number;
  /** CPU time of the whole process (LevelDB's threads included), steadier than wall time on a busy machine. */
  readonly cpuMs: number;
}
const rows: Row[] = [];

const key = (i: number) => `key-${String(i).padStart(8, '0')}`;
/** A fixed shuffle of 0..n-1, so random reads are the same every run. */
function shuffled(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let seed = 42;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

async function measure(store: string, operation: string, count: number, run: () => unknown): Promise<void> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await run();
  const used = process.cpuUsage(cpu);
  rows.push({
    store,
    operation,
    count,
    ms: performance.now() - start,
    cpuMs: (used.user + used.system) / 1000,
  });
}

async function open(spec: StoreSpec, directory: string): Promise<ManagedStore> {
  return openStore(spec, { directory, now: () => 0 });
}

async function typedKeyValue(order: number[]): Promise<void> {
  const directory = join(root, 'typed');
  const spec = Stores.keyValue({ name: 'kv', keySerde: Serdes.String(), valueSerde: Serdes.String() });
  let managed = await open(spec, directory);
  let store = managed.store as KeyValueStore<string, string>;
  const name = 'typed KV (ours)';
  await measure(name, `put, commit every ${COMMIT_EVERY}`, ENTRIES, async () => {
    for (let i = 0; i < ENTRIES; i++) {
      store.put(key(i), VALUE);
      if ((i + 1) % COMMIT_EVERY === 0) {
        managed.drainChangelog();
        await managed.commit(toOffset(i));
      }
    }
    managed.drainChangelog();
    await managed.commit(toOffset(ENTRIES));
  });
  await managed.close();
  managed = await open(spec, directory);
  store = managed.store as KeyValueStore<string, string>;
  await measure(name, 'get, cold (after reopen)', ENTRIES, () => {
    for (const i of order) store.get(key(i));
  });
  const hot = order.slice(0, 1_000);
  await measure(name, 'get, hot (1,000 keys)', ENTRIES, () => {
    for (let i = 0; i < ENTRIES; i++) store.get(key(hot[i % hot.length]!));
  });
  await measure(name, 'get, missing key', ENTRIES, () => {
    for (let i = 0; i < ENTRIES; i++) store.get(`absent-${i}`);
  });
  await measure(name, 'range of 100, entries read', ENTRIES, () => {
    for (let n = 0; n < ENTRIES / 100; n++) {
      const from = order[n]! % (ENTRIES - 100);
      for (const entry of store.range(key(from), key(from + 99))) void entry;
    }
  });
  await measure(name, 'full scan, entries read', ENTRIES, () => {
    for (const entry of store.all()) void entry;
  });
  await managed.close();
}

async function typedWindow(): Promise<void> {
  const spec = Stores.window({
    name: 'windows',
    keySerde: Serdes.String(),
    valueSerde: Serdes.String(),
    windowSizeMs: 60_000,
    retentionMs: 3_600_000,
  });
  const managed = await open(spec, join(root, 'window'));
  const store = managed.store as WindowStore<string, string>;
  const keys = 1_000;
  const name = 'typed window (ours)';
  await measure(name, `put, commit every ${COMMIT_EVERY}`, ENTRIES, async () => {
    for (let i = 0; i < ENTRIES; i++) {
      store.put(key(i % keys), VALUE, Math.floor(i / keys) * 60_000);
      if ((i + 1) % COMMIT_EVERY === 0) {
        managed.drainChangelog();
        await managed.commit(toOffset(i));
      }
    }
  });
  const windows = Math.floor(ENTRIES / keys);
  await measure(name, 'fetch(key, start)', ENTRIES, () => {
    for (let i = 0; i < ENTRIES; i++) store.fetch(key(i % keys), (i % windows) * 60_000);
  });
  await measure(name, 'fetchWindows, 10 windows, entries read', ENTRIES, () => {
    const last = (windows - 10) * 60_000;
    for (let i = 0; i < ENTRIES / 10; i++) {
      const from = Math.max(0, last - (i % 10) * 60_000);
      for (const entry of store.fetchWindows(key(i % keys), from, from + 9 * 60_000)) void entry;
    }
  });
  await managed.close();
}

/**
 * What dropping expired window or session segments costs a store whose keys are all in memory (the
 * index window and session stores use): every key of the range deleted in the commit's batch.
 */
async function expiredRange(): Promise<void> {
  const store = await LevelDbBytesStore.open(join(root, 'expired'), { index: 'memory' });
  const value = new Uint8Array(Buffer.from(VALUE));
  for (let i = 0; i < ENTRIES; i++) store.put(key(i), value);
  await store.commit(toOffset(1));
  await measure(
    'LevelDB bytes, keys in memory',
    'deleteRange of every key, one commit',
    ENTRIES,
    async () => {
      store.deleteRange({});
      await store.commit(toOffset(2));
    },
  );
  await store.close();
}

async function rawLevel(order: number[]): Promise<void> {
  const db = new Level<string, string>(join(root, 'raw'), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  const name = 'classic-level (raw)';
  await measure(name, 'batch put, 1,000 per batch', ENTRIES, async () => {
    for (let i = 0; i < ENTRIES; i += COMMIT_EVERY) {
      const batch = db.batch();
      for (let j = i; j < Math.min(ENTRIES, i + COMMIT_EVERY); j++) batch.put(key(j), VALUE);
      await batch.write();
    }
  });
  await measure(name, 'awaited get', ENTRIES, async () => {
    for (const i of order) await db.get(key(i));
  });
  await measure(name, 'getSync', ENTRIES, () => {
    for (const i of order) db.getSync(key(i));
  });
  await measure(name, 'full iteration, entries read', ENTRIES, async () => {
    for await (const entry of db.iterator()) void entry;
  });
  await db.close();
}

try {
  const order = shuffled(ENTRIES);
  await rawLevel(order);
  await typedKeyValue(order);
  await typedWindow();
  await expiredRange();
  const width = Math.max(...rows.map((r) => r.operation.length));
  const storeWidth = Math.max(...rows.map((r) => r.store.length));
  console.log(`${ENTRIES.toLocaleString('en')} entries, 100-byte values, Node ${process.version}\n`);
  const header = ['ops/s', 'wall ms', 'CPU µs/op'];
  console.log(
    `${'store'.padEnd(storeWidth)}  ${'operation'.padEnd(width)}  ${header.map((h) => h.padStart(10)).join('  ')}`,
  );
  for (const row of rows) {
    const cells = [
      Math.round(row.count / (row.ms / 1000)).toLocaleString('en'),
      row.ms.toFixed(0),
      ((row.cpuMs * 1000) / row.count).toFixed(2),
    ];
    console.log(
      `${row.store.padEnd(storeWidth)}  ${row.operation.padEnd(width)}  ${cells.map((c) => c.padStart(10)).join('  ')}`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
