import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, SlidingWindows, StreamsBuilder, TimeWindows, defineTopic, type Windowed } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const events = defineTopic('events', Serdes.String(), Serdes.String());

/** `key@[start,end)=value`, so expectations read like the windows they describe. */
function show(records: { key: Windowed<string> | null; value: number | string | null }[]): string[] {
  return records.map(({ key, value }) => `${key!.key}@[${key!.window.start},${key!.window.end})=${value}`);
}

describe('time windows (TimeWindows: tumbling and hopping)', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function windowedCount(windows: TimeWindows, partitions = 1) {
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(windows)
      .count({ storeName: 'windowed-counts' })
      .toStream()
      .to('out', {
        keySerde: Serdes.TimeWindowed(Serdes.String(), windows.sizeMs),
        valueSerde: Serdes.Long(),
      });
    driver = await TopologyTestDriver.create(builder.build(), { partitions });
    return {
      input: driver.createInputTopic(events),
      output: driver.createOutputTopic(
        'out',
        Serdes.TimeWindowed(Serdes.String(), windows.sizeMs),
        Serdes.Long(),
      ),
    };
  }

  it('tumbling windows: start inclusive, end exclusive (a record at 10 opens [10,20), not [0,10))', async () => {
    const { input, output } = await windowedCount(TimeWindows.ofSizeWithNoGrace(10));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 9);
    input.pipeInput('a', 'x', 10);
    input.pipeInput('b', 'x', 19);
    expect(show(output.readKeyValuesToList())).toEqual([
      'a@[0,10)=1',
      'a@[0,10)=2',
      'a@[10,20)=1',
      'b@[10,20)=1',
    ]);
  });

  it('counts records with a null value; only a null key is skipped (KStreamWindowAggregate)', async () => {
    const { input, output } = await windowedCount(TimeWindows.ofSizeWithNoGrace(10));
    input.pipeInput('a', 'x', 1);
    input.pipeInput('a', null, 2);
    input.pipeInput(null, 'x', 3);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,10)=1', 'a@[0,10)=2']);
  });

  it('every update of a window is forwarded, with the window and the record timestamp (no caching)', async () => {
    const { input, output } = await windowedCount(TimeWindows.ofSizeWithNoGrace(10));
    input.pipeInput('a', 'x', 3);
    input.pipeInput('a', 'x', 5);
    expect(output.readRecordsToList().map((r) => [r.value, r.timestamp])).toEqual([
      [1, 3],
      [2, 5],
    ]);
  });

  it('hopping windows: a record belongs to every window [start, start+size) containing it', async () => {
    const { input, output } = await windowedCount(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5));
    // Windows never start before 0: a record at 2 is only in [0, 10), not in [-5, 5).
    input.pipeInput('b', 'x', 2);
    expect(show(output.readKeyValuesToList())).toEqual(['b@[0,10)=1']);
    input.pipeInput('a', 'x', 7);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,10)=1', 'a@[5,15)=1']);
    input.pipeInput('a', 'x', 12);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[5,15)=2', 'a@[10,20)=1']);
  });

  it('grace: a late record is still counted while window end + grace > stream time', async () => {
    const { input, output } = await windowedCount(TimeWindows.ofSizeAndGrace(10, 5));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 14);
    input.pipeInput('a', 'x', 3);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,10)=1', 'a@[10,20)=1', 'a@[0,10)=2']);
  });

  it('grace: a record is dropped once window end + grace <= stream time, also for other keys', async () => {
    const { input, output } = await windowedCount(TimeWindows.ofSizeAndGrace(10, 5));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('b', 'x', 15);
    input.pipeInput('a', 'x', 4);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,10)=1', 'b@[10,20)=1']);
    expect(driver!.getWindowStore<string, number>('windowed-counts').fetch('a', 0)).toBe(1);
  });

  it('no grace: a record for a window that ended at or before stream time is dropped', async () => {
    const { input, output } = await windowedCount(TimeWindows.ofSizeWithNoGrace(10));
    input.pipeInput('a', 'x', 10);
    input.pipeInput('a', 'x', 9);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[10,20)=1']);
  });

  it('hopping windows with a late record: only the windows still open are updated', async () => {
    const { input, output } = await windowedCount(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5));
    input.pipeInput('a', 'x', 12);
    output.readKeyValuesToList();
    // 8 is in [0,10) (closed: 10 <= 12) and [5,15) (open).
    input.pipeInput('a', 'x', 8);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[5,15)=2']);
  });

  it("stream time is observed per task: a late record is judged by its own partition's time", async () => {
    const { input, output } = await windowedCount(TimeWindows.ofSizeWithNoGrace(10), 2);
    input.pipeRecord({ key: 'a', value: 'x', timestamp: 100, partition: 1 });
    input.pipeRecord({ key: 'b', value: 'x', timestamp: 5, partition: 0 });
    expect(show(output.readKeyValuesToList())).toEqual(['a@[100,110)=1', 'b@[0,10)=1']);
  });

  it('reduce in windows: the first value of a window is its aggregate', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .reduce((a, b) => `${a}${b}`)
      .toStream()
      .to('out', { keySerde: Serdes.TimeWindowed(Serdes.String(), 10), valueSerde: Serdes.String() });
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(events);
    input.pipeInput('a', 'x', 1);
    input.pipeInput('a', 'y', 2);
    input.pipeInput('a', 'z', 11);
    const output = driver.createOutputTopic('out', Serdes.TimeWindowed(Serdes.String(), 10), Serdes.String());
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,10)=x', 'a@[0,10)=xy', 'a@[10,20)=z']);
  });

  it('a retention shorter than window size + grace is rejected when the topology is built', () => {
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
      .count({ storeName: 'short', retentionMs: 12 });
    expect(() => builder.build()).toThrow(/retention of store "short" \(12 ms\) must be at least/);
  });
});

describe('sliding windows (SlidingWindows, KIP-450)', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  /** Sliding windows are [start, end] inclusive; shown as `key@[start,end]=value`. */
  function showInclusive(records: { key: Windowed<string> | null; value: string | null }[]): string[] {
    return records.map(({ key, value }) => `${key!.key}@[${key!.window.start},${key!.window.end}]=${value}`);
  }

  async function slidingConcat(windows: SlidingWindows, timeDifferenceMs: number) {
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(windows)
      // Concatenating in sorted order shows exactly which records each window holds.
      .aggregate(
        () => '',
        (_k, v, agg) => [...agg, v].sort().join(''),
        { storeName: 'sliding', valueSerde: Serdes.String() },
      )
      .toStream()
      .to('out', {
        keySerde: Serdes.TimeWindowed(Serdes.String(), timeDifferenceMs),
        valueSerde: Serdes.String(),
      });
    driver = await TopologyTestDriver.create(builder.build());
    return {
      input: driver.createInputTopic(events),
      output: driver.createOutputTopic(
        'out',
        Serdes.TimeWindowed(Serdes.String(), timeDifferenceMs),
        Serdes.String(),
      ),
    };
  }

  it('the first record creates only its left window [t - d, t]', async () => {
    const { input, output } = await slidingConcat(SlidingWindows.ofTimeDifferenceWithNoGrace(10), 10);
    input.pipeInput('k', 'a', 100);
    expect(showInclusive(output.readKeyValuesToList())).toEqual(['k@[90,100]=a']);
  });

  it('a record within d of the previous one: its left window holds both, and the previous record gets its right window', async () => {
    const { input, output } = await slidingConcat(SlidingWindows.ofTimeDifferenceWithNoGrace(10), 10);
    input.pipeInput('k', 'a', 100);
    output.readKeyValuesToList();
    input.pipeInput('k', 'b', 105);
    expect(showInclusive(output.readKeyValuesToList()).sort()).toEqual([
      'k@[101,111]=b', // right window of a: the records after a within d
      'k@[95,105]=ab', // left window of b
    ]);
  });

  it('a record more than d after the previous one shares no window with it', async () => {
    const { input, output } = await slidingConcat(SlidingWindows.ofTimeDifferenceWithNoGrace(10), 10);
    input.pipeInput('k', 'a', 100);
    input.pipeInput('k', 'b', 111);
    expect(showInclusive(output.readKeyValuesToList())).toEqual(['k@[90,100]=a', 'k@[101,111]=b']);
  });

  it('an out-of-order record updates the windows containing it and creates its own left and right windows', async () => {
    const { input, output } = await slidingConcat(SlidingWindows.ofTimeDifferenceAndGrace(10, 20), 10);
    input.pipeInput('k', 'a', 100);
    input.pipeInput('k', 'c', 108);
    output.readKeyValuesToList();
    input.pipeInput('k', 'b', 104);
    expect(showInclusive(output.readKeyValuesToList()).sort()).toEqual([
      'k@[101,111]=bc', // a's right window now also holds b
      'k@[105,115]=c', // b's right window: the records after b within d
      'k@[94,104]=ab', // b's left window
      'k@[98,108]=abc', // c's left window
    ]);
    // Every distinct set of records within d of each other is aggregated exactly once.
    const store = driver!.getWindowStore<string, string>('sliding');
    const windows = [...store.fetchWindows('k', 0, 1000)].map((w) => `${w.windowStart}=${w.value}`);
    expect(windows).toEqual(['90=a', '94=ab', '98=abc', '101=bc', '105=c']);
  });

  it('records before time d share the window [0, d]', async () => {
    const { input, output } = await slidingConcat(SlidingWindows.ofTimeDifferenceWithNoGrace(10), 10);
    input.pipeInput('k', 'a', 2);
    input.pipeInput('k', 'b', 5);
    expect(showInclusive(output.readKeyValuesToList()).sort()).toEqual([
      'k@[0,10]=a',
      'k@[0,10]=ab',
      'k@[3,13]=b', // a's right window
    ]);
  });

  it('grace: a record is dropped when even its right side (t + d) ended before stream time - grace', async () => {
    const { input, output } = await slidingConcat(SlidingWindows.ofTimeDifferenceAndGrace(10, 5), 10);
    input.pipeInput('k', 'a', 100);
    output.readKeyValuesToList();
    // Close time is 100 - 5 = 95; 80 + 10 < 95.
    input.pipeInput('k', 'x', 80);
    expect(output.readKeyValuesToList()).toEqual([]);
  });

  it('grace: a late record updates the open windows containing it; its own left window is created only if it ends at or after the close time (end inclusive)', async () => {
    const { input, output } = await slidingConcat(SlidingWindows.ofTimeDifferenceAndGrace(10, 5), 10);
    input.pipeInput('k', 'a', 100);
    output.readKeyValuesToList();
    // Left window [85, 95] ends exactly at the close time 95: still open.
    input.pipeInput('k', 'y', 95);
    expect(showInclusive(output.readKeyValuesToList()).sort()).toEqual([
      'k@[85,95]=y',
      'k@[90,100]=ay',
      'k@[96,106]=a',
    ]);
    // Left window [84, 94] has closed and is not created, but the open windows holding 94 are updated.
    input.pipeInput('k', 'z', 94);
    expect(showInclusive(output.readKeyValuesToList()).sort()).toEqual([
      'k@[85,95]=yz',
      'k@[90,100]=ayz',
      'k@[95,105]=ay',
    ]);
  });

  it('the default retention covers twice the time difference plus grace', () => {
    const builder = new StreamsBuilder();
    builder.stream(events).groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 5)).count({
      storeName: 'sliding-counts',
    });
    const spec = builder.build().stores.get('sliding-counts');
    expect(spec).toMatchObject({ kind: 'window', windowSizeMs: 10, retentionMs: 25 });
  });
});

describe('sliding windows against a brute-force model', () => {
  /** A small deterministic PRNG, so a failure names the seed that reproduces it. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
  }

  /** Every window KIP-450 defines for these records: each record's left window, and its right window when later records lie within d. */
  function expectedWindows(times: number[], d: number): Map<number, string> {
    const content = (start: number) =>
      times
        .map((t, i) => [t, i] as const)
        .filter(([t]) => t >= start && t <= start + d)
        .map(([, i]) => `r${i}`)
        .sort()
        .join(',');
    const windows = new Map<number, string>();
    for (const t of times) {
      // Records before d share the window [0, d].
      const left = Math.max(0, t - d);
      windows.set(left, content(left));
      if (times.some((other) => other > t && other <= t + 1 + d)) windows.set(t + 1, content(t + 1));
    }
    return windows;
  }

  it.each([
    [1, 100],
    [2, 100],
    [3, 100],
    [4, 100],
    [5, 0],
    [6, 0],
    [7, 0],
  ])(
    'out-of-order records (seed %i, from time %i): the store ends up with exactly the windows of the model',
    async (seed, from) => {
      const d = 10;
      const next = random(seed);
      const times = Array.from({ length: 25 }, () => from + Math.floor(next() * 60));
      const builder = new StreamsBuilder();
      builder
        .stream(events)
        .groupByKey()
        .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(d, 1000))
        .aggregate(
          () => '',
          (_k, v, agg) => [...(agg === '' ? [] : agg.split(',')), v].sort().join(','),
          { storeName: 'model', valueSerde: Serdes.String() },
        );
      const driver = await TopologyTestDriver.create(builder.build());
      try {
        const input = driver.createInputTopic(events);
        times.forEach((t, i) => input.pipeInput('k', `r${i}`, t));
        const store = driver.getWindowStore<string, string>('model');
        const actual = new Map([...store.fetchWindows('k', 0, 1000)].map((w) => [w.windowStart, w.value]));
        expect(new Map([...actual].sort((a, b) => a[0] - b[0]))).toEqual(
          new Map([...expectedWindows(times, d)].sort((a, b) => a[0] - b[0])),
        );
      } finally {
        await driver.close();
      }
    },
  );
});
