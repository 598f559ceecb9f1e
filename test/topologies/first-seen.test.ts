import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  StreamsBuilder,
  defineTopic,
  type Processor,
  type ProcessorContext,
  type WindowStore,
} from 'tributary';
import { TopologyTestDriver } from 'tributary/testing';
import { FirstSeen, firstSeenStore } from '../../topologies/shared/first-seen.ts';

const ids = defineTopic('ids', Serdes.String(), Serdes.String());
const firsts = defineTopic('firsts', Serdes.String(), Serdes.String());
const RETENTION_MS = 1_000;

/** Lets the first record of each key through, and none that is older than the store remembers. */
function firstOnly(): Processor<string, string, string, string> {
  let context: ProcessorContext<string, string>;
  let seen: FirstSeen<string>;
  return {
    init: (c) => {
      context = c;
      seen = new FirstSeen(c.getStateStore('seen'), RETENTION_MS);
    },
    process: (record) => {
      seen.advance(record.timestamp);
      if (seen.forgotten(record.timestamp)) return;
      if (seen.first(record.key, record.value, record.timestamp)) context.forward(record);
    },
  };
}

describe('FirstSeen: remember the first, drop repeats', () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    driver = undefined;
  });

  it('lets each id through once within the retention, and drops what is older than it remembers', async () => {
    const builder = new StreamsBuilder();
    builder.addStateStore(firstSeenStore('seen', Serdes.String(), RETENTION_MS));
    builder
      .stream(ids)
      .process(firstOnly, { stores: ['seen'] })
      .to(firsts);
    driver = await TopologyTestDriver.create(builder.build());
    const input = driver.createInputTopic(ids);
    input.pipeInput('a', 'first a', 0);
    input.pipeInput('a', 'repeat of a', 500);
    input.pipeInput('b', 'first b', 999);
    input.pipeInput('c', 'first c', 2_000);
    // Stream time is 2000: a record at 1000 or before may repeat an id forgotten already.
    input.pipeInput('d', 'too old to tell', 1_000);
    input.pipeInput('e', 'first e', 1_001);
    expect(driver.createOutputTopic(firsts).readValuesToList()).toEqual([
      'first a',
      'first b',
      'first c',
      'first e',
    ]);
    const store = new FirstSeen(driver.getStateStore<WindowStore<string, string>>('seen'), RETENTION_MS);
    expect(store.recall('e')).toMatchObject({ value: 'first e', windowStart: 1_001 });
    // Expired with the retention: 'a' was seen at 0, and nothing was remembered for 'd'.
    expect(store.recall('a')).toBeUndefined();
    expect(store.recall('d')).toBeUndefined();
  });
});
