import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Serdes, StreamsBuilder, defineApp, defineTopic } from 'tributary';
import { TopologyTestDriver, replay } from 'tributary/testing';
import { LevelDbBytesStore } from '../../src/state/leveldb/leveldb-bytes-store.ts';

const words = defineTopic('words', Serdes.String(), Serdes.String());

function countingTopology() {
  const builder = new StreamsBuilder();
  builder
    .stream(words)
    .groupByKey()
    .count({ storeName: 'counts' })
    .toStream()
    .to('counts-out', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
  return builder;
}

describe('commits of the in-memory applications (test driver and replay)', () => {
  const cleanup: string[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('replay commits after every record but writes each store once per batch of commits that queued up', async () => {
    const commits = vi.spyOn(LevelDbBytesStore.prototype, 'commit');
    const counting = defineApp({
      applicationId: 'counter',
      topology: (builder) => {
        builder
          .stream(words)
          .groupByKey()
          .count({ storeName: 'counts' })
          .toStream()
          .to('counts-out', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
      },
    });
    const input = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({ topic: 'words', key: `w${i % 7}`, value: 'x', timestamp: i }),
    ).join('\n');
    const result = await replay({ apps: [counting], input });
    expect(result.records).toHaveLength(200);
    // Replay feeds records without yielding, so the 200 commits fold into one write per store.
    expect(commits.mock.calls.length).toBeLessThanOrEqual(2);
  });

  it('what the folded commits wrote is on disk: a driver reopening the state directory sees every count', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'tributary-commits-'));
    cleanup.push(stateDir);
    const first = await TopologyTestDriver.create(countingTopology().build(), { stateDir });
    const input = first.createInputTopic(words);
    for (let i = 0; i < 100; i++) input.pipeInput(`w${i % 4}`, 'x', i);
    await first.close();

    const second = await TopologyTestDriver.create(countingTopology().build(), { stateDir });
    try {
      const counts = second.getKeyValueStore<string, number>('counts');
      expect([...counts.all()].map((e) => `${e.key}=${e.value}`)).toEqual([
        'w0=25',
        'w1=25',
        'w2=25',
        'w3=25',
      ]);
    } finally {
      await second.close();
    }
  });

  it('a driver closing commits first, as a worker stopping does: what the record cache held is in the store for the next driver', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'tributary-commits-'));
    cleanup.push(stateDir);
    const first = await TopologyTestDriver.create(countingTopology().build(), {
      stateDir,
      commitEachRecord: false,
    });
    const input = first.createInputTopic(words);
    for (let i = 0; i < 10; i++) input.pipeInput(`w${i % 2}`, 'x', i);
    const output = first.createOutputTopic('counts-out', Serdes.String(), Serdes.Long());
    // Nothing committed yet: the counts are still in the record cache.
    expect(output.readKeyValuesToList()).toEqual([]);
    await first.close();
    expect(output.readKeyValuesToMap()).toEqual(
      new Map([
        ['w0', 5],
        ['w1', 5],
      ]),
    );

    const second = await TopologyTestDriver.create(countingTopology().build(), { stateDir });
    try {
      const counts = second.getKeyValueStore<string, number>('counts');
      expect([...counts.all()].map((e) => `${e.key}=${e.value}`)).toEqual(['w0=5', 'w1=5']);
    } finally {
      await second.close();
    }
  });
});
