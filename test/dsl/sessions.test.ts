import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, SessionWindows, StreamsBuilder, defineTopic, type Windowed } from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';

const events = defineTopic('events', Serdes.String(), Serdes.String());
const sessionKey = Serdes.SessionWindowed(Serdes.String());

/** `key@[start,end]=value` (session windows include both ends). */
function show(records: { key: Windowed<string> | null; value: unknown }[]): string[] {
  return records.map(({ key, value }) => `${key!.key}@[${key!.window.start},${key!.window.end}]=${value}`);
}

describe('session windows (SessionWindows: merging sessions)', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  async function sessionCounts(windows: SessionWindows, partitions = 1) {
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(windows)
      // Every update, deletes of merged sessions included: the record cache would merge them.
      .count({ storeName: 'sessions', caching: false })
      .toStream()
      .to('out', { keySerde: sessionKey, valueSerde: Serdes.Long() });
    driver = await TopologyTestDriver.create(builder.build(), { partitions });
    return {
      input: driver.createInputTopic(events),
      output: driver.createOutputTopic('out', sessionKey, Serdes.Long()),
    };
  }

  it('a record within the gap extends the session: the old session is deleted, the merged one forwarded, stamped with the session end', async () => {
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapWithNoGrace(10));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 5);
    const records = output.readRecordsToList();
    expect(show(records)).toEqual(['a@[0,0]=1', 'a@[0,0]=null', 'a@[0,5]=2']);
    expect(records.map((r) => r.timestamp)).toEqual([0, 0, 5]);
  });

  it('records further apart than the gap start separate sessions', async () => {
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapWithNoGrace(10));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 11);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,0]=1', 'a@[11,11]=1']);
  });

  it('a record bridging two sessions merges them into one (merger adds the counts) and deletes both', async () => {
    // Grace keeps the first session open while the later one arrives before the bridging record.
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapAndGrace(10, 100));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 4);
    input.pipeInput('a', 'x', 20);
    output.readKeyValuesToList();
    input.pipeInput('a', 'x', 12);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,4]=null', 'a@[20,20]=null', 'a@[0,20]=4']);
    const store = driver!.getSessionStore<string, number>('sessions');
    expect(show([...store.fetch('a')])).toEqual(['a@[0,20]=4']);
  });

  // As KStreamSessionWindowAggregate.process: every merged session is removed and deleted downstream,
  // also the one whose window the merged session keeps (KStreamSessionWindowAggregateProcessorTest.
  // shouldImmediatelyForwardRemovedSessionsWhenMerging shows the delete-then-update order).
  it('a record inside an existing session deletes it and forwards it again with the new aggregate', async () => {
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapWithNoGrace(10));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 10);
    output.readKeyValuesToList();
    input.pipeInput('a', 'x', 5);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,10]=null', 'a@[0,10]=3']);
  });

  it('a record at the time of a one-point session updates it without a delete', async () => {
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapWithNoGrace(10));
    input.pipeInput('a', 'x', 5);
    input.pipeInput('a', 'x', 5);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[5,5]=1', 'a@[5,5]=2']);
  });

  it("forwards session updates without the input record's headers, as new records", async () => {
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapWithNoGrace(10));
    input.pipeInput('a', 'x', 0, { trace: 't1' });
    input.pipeInput('a', 'x', 5, { trace: 't2' });
    expect(output.readRecordsToList().map((r) => r.headers)).toEqual([{}, {}, {}]);
  });

  it("counts records with a null value (only a null key is skipped), as Kafka Streams' session aggregation does", async () => {
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapWithNoGrace(10));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', null, 2);
    input.pipeInput(null, 'x', 3);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,0]=1', 'a@[0,0]=null', 'a@[0,2]=2']);
    expect(driver!.droppedRecords().get('null-key')).toBe(1);
  });

  it('without grace, a record cannot bridge into a session that already closed (end + gap < stream time)', async () => {
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapWithNoGrace(10));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('a', 'x', 4);
    input.pipeInput('a', 'x', 20);
    output.readKeyValuesToList();
    // 12 is within the gap of [0,4], but that session closed at stream time 14: 12 only joins [20,20].
    input.pipeInput('a', 'x', 12);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[20,20]=null', 'a@[12,20]=2']);
  });

  it('grace: a session closes once its end + gap + grace is before stream time; a record only touching closed sessions is dropped', async () => {
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapAndGrace(10, 5));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('b', 'x', 16);
    output.readKeyValuesToList();
    // Close time 16 - 5 - 10 = 1 > 0: a's session [0,0] is closed, and a record at 0 would only touch it.
    input.pipeInput('a', 'x', 0);
    expect(output.readKeyValuesToList()).toEqual([]);
  });

  it('grace: until then, a late record still merges into the session', async () => {
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapAndGrace(10, 5));
    input.pipeInput('a', 'x', 0);
    input.pipeInput('b', 'x', 14);
    output.readKeyValuesToList();
    // Close time 14 - 5 - 10 = -1: the session ending at 0 is still open.
    input.pipeInput('a', 'x', 0);
    expect(show(output.readKeyValuesToList())).toEqual(['a@[0,0]=2']);
  });

  it('reduce: sessions merge with the reducer, the older session aggregate first', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 100))
      .reduce((a, b) => `${a}${b}`)
      .toStream()
      .to('out', { keySerde: sessionKey, valueSerde: Serdes.String() });
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(events);
    input.pipeInput('k', 'a', 0);
    input.pipeInput('k', 'c', 20);
    input.pipeInput('k', 'b', 10);
    const output = driver.createOutputTopic('out', sessionKey, Serdes.String());
    expect(show(output.readKeyValuesToList()).at(-1)).toBe('k@[0,20]=acb');
  });

  it('aggregate: the user merger combines the aggregates of the sessions a record joins', async () => {
    const merges: [string, string][] = [];
    const builder = new StreamsBuilder();
    builder
      .stream(events)
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 100))
      .aggregate(
        () => '',
        (_k, v, agg) => agg + v,
        (_k, a, b) => {
          merges.push([a, b]);
          return a + b;
        },
        { valueSerde: Serdes.String() },
      )
      .toStream()
      .to('out', { keySerde: sessionKey, valueSerde: Serdes.String() });
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(events);
    input.pipeInput('k', 'a', 0);
    input.pipeInput('k', 'c', 20);
    input.pipeInput('k', 'b', 10);
    const output = driver.createOutputTopic('out', sessionKey, Serdes.String());
    expect(show(output.readKeyValuesToList()).at(-1)).toBe('k@[0,20]=acb');
    expect(merges).toEqual([
      ['', 'a'],
      ['a', 'c'],
    ]);
  });

  it('sessions are kept per key and per partition (3 partitions)', async () => {
    const { input, output } = await sessionCounts(SessionWindows.ofInactivityGapAndGrace(10, 100), 3);
    for (const [key, t] of [
      ['a', 0],
      ['b', 1],
      ['c', 2],
      ['a', 5],
      ['b', 30],
      ['c', 9],
    ] as const)
      input.pipeInput(key, 'x', t);
    // Replay the changes as a table: a delete removes the session.
    const latest = new Map<string, string>();
    for (const line of show(output.readKeyValuesToList())) {
      const [session] = line.split('=');
      if (line.endsWith('=null')) latest.delete(session!);
      else latest.set(session!, line);
    }
    expect([...latest.values()].sort()).toEqual(['a@[0,5]=2', 'b@[1,1]=1', 'b@[30,30]=1', 'c@[2,9]=2']);
  });
});
