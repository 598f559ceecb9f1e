import { toOffset } from '../../src/common/offset.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic, type Topology } from 'tributary';
import { systemClock } from '../../src/common/clock.ts';
import { silentLogger } from '../../src/common/logger.ts';
import type { OutgoingRecord } from '../../src/kafka/port.ts';
import type { ChangelogRecord } from '../../src/state/bytes.ts';
import type { TimestampedKeyValueStore } from '../../src/state/api.ts';
import { LevelDbBytesStore } from '../../src/state/leveldb/leveldb-bytes-store.ts';
import { TaskState, type ChangelogReader } from '../../src/runtime/task-state.ts';

const words = defineTopic('words', Serdes.String(), Serdes.String());
const prices = defineTopic('prices', Serdes.String(), Serdes.String());
const text = new TextEncoder();

/** A count (its own changelog) and a table read from a topic (the topic is its changelog), in two sub-topologies. */
function topology(): Topology {
  const builder = new StreamsBuilder();
  builder.stream(words).groupByKey().count({ storeName: 'counts' });
  builder.table(prices, { storeName: 'prices-table' });
  return builder.build();
}

async function open(top: Topology, store: string, stateDir: string): Promise<TaskState> {
  const subtopology = top.subtopologies.find((s) => s.stores.some((spec) => spec.name === store))!;
  return TaskState.open({
    applicationId: 'app',
    topology: top,
    subtopology,
    partition: 0,
    stateDir,
    now: () => 7,
  });
}

const restoreContext = {
  sources: [],
  onDeserializationError: 'fail' as const,
  logger: silentLogger,
  clock: systemClock,
};

describe('TaskState: the stores of a task, their changelogs, checkpoints, commit and restore', () => {
  const directories: string[] = [];
  const fresh = async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tributary-task-state-'));
    directories.push(directory);
    return directory;
  };
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
  });

  it('drains one changelog record per changed key, and persists the data with the acknowledged end as checkpoint', async () => {
    const stateDir = await fresh();
    const top = topology();
    const state = await open(top, 'counts', stateDir);
    const counts = state.stores.get('counts')!.store as TimestampedKeyValueStore<string, number>;
    counts.put('a', { value: 1, timestamp: 7 });
    counts.put('a', { value: 2, timestamp: 7 });
    counts.put('b', { value: 1, timestamp: 7 });
    const sent: OutgoingRecord[] = [];
    state.drainChangelogs('all', (record) => sent.push(record));
    expect(sent.map((r) => `${r.topic}/${r.partition}`)).toEqual([
      'app-counts-changelog/0',
      'app-counts-changelog/0',
    ]);
    // Nothing acknowledged yet: the store keeps its checkpoint (none).
    await state.commit();
    expect(state.stores.get('counts')!.checkpoint).toBeUndefined();
    state.acknowledge(new Map([['app-counts-changelog', new Map([[0, toOffset(41n)]])]]));
    await state.commit();
    await state.close();

    const reopened = await open(top, 'counts', stateDir);
    expect(reopened.stores.get('counts')!.checkpoint).toBe(42n);
    const again = reopened.stores.get('counts')!.store as TimestampedKeyValueStore<string, number>;
    expect(again.get('a')).toEqual({ value: 2, timestamp: 7 });
    await reopened.close();
  });

  it('checkpoints a table read from a topic at the next offset of that topic the task processed', async () => {
    const stateDir = await fresh();
    const top = topology();
    const state = await open(top, 'prices-table', stateDir);
    expect(state.readsSourceTopics).toBe(true);
    const sent: OutgoingRecord[] = [];
    state.drainChangelogs('all', (record) => sent.push(record));
    expect(sent).toEqual([]);
    await state.commit((topic) => (topic === 'prices' ? toOffset(17n) : undefined));
    expect(state.stores.get('prices-table')!.checkpoint).toBe(17n);
    await state.close();
  });

  it('makes the commits asked for while a persist waits to start one persist, which writes what they all covered', async () => {
    const stateDir = await fresh();
    const state = await open(topology(), 'counts', stateDir);
    const counts = state.stores.get('counts')!.store as TimestampedKeyValueStore<string, number>;
    const writes = vi.spyOn(LevelDbBytesStore.prototype, 'commit');
    const persists: Promise<void>[] = [];
    for (let i = 1; i <= 50; i++) {
      counts.put(`k${i % 5}`, { value: i, timestamp: 7 });
      state.drainChangelogs('all', () => undefined);
      state.acknowledge(new Map([['app-counts-changelog', new Map([[0, toOffset(i - 1)]])]]));
      persists.push(state.commit());
    }
    expect(new Set(persists).size).toBe(1);
    await persists[0];
    expect(writes).toHaveBeenCalledTimes(1);
    // The one persist took the latest commit's checkpoint with the latest data.
    expect(state.stores.get('counts')!.checkpoint).toBe(50n);
    // A commit after it has settled is a persist of its own.
    state.acknowledge(new Map([['app-counts-changelog', new Map([[0, toOffset(50n)]])]]));
    await state.commit();
    expect(writes).toHaveBeenCalledTimes(2);
    expect(state.stores.get('counts')!.checkpoint).toBe(51n);
    await state.close();
  });

  it('restores from the checkpoint to where the reader says, skips records without a key, and checkpoints the end', async () => {
    const stateDir = await fresh();
    const state = await open(topology(), 'counts', stateDir);
    const asked: string[] = [];
    const log: ChangelogRecord[] = [
      {
        key: text.encode('a'),
        value: Serdes.Long().serialize(1, { topic: '', part: 'value' }),
        timestamp: 1,
      },
      { key: null as unknown as Uint8Array, value: null, timestamp: 2 },
      {
        key: text.encode('b'),
        value: Serdes.Long().serialize(2, { topic: '', part: 'value' }),
        timestamp: 3,
      },
    ];
    const reader: ChangelogReader = {
      restoreEnd: ({ topic, partition }, sourceTopic) => {
        asked.push(`${topic}/${partition} source=${sourceTopic}`);
        return Promise.resolve(toOffset(3n));
      },
      restore: (_partition, from, to, target) => {
        asked.push(`restore ${from}..${to}`);
        const records = log.slice(Number(from), Number(to)).filter((r) => r.key !== null);
        target.apply(records);
        return Promise.resolve(records.length);
      },
    };
    await state.restore(reader, restoreContext, '0_0');
    expect(asked).toEqual(['app-counts-changelog/0 source=false', 'restore 0..3']);
    const managed = state.stores.get('counts')!;
    expect(managed.checkpoint).toBe(3n);
    // Restored records are not logged again.
    expect(managed.drainChangelog()).toEqual([]);
    // Up to date: nothing to restore.
    asked.length = 0;
    await state.restore(reader, restoreContext, '0_0');
    expect(asked).toEqual(['app-counts-changelog/0 source=false']);
    await state.close();
  });
});
