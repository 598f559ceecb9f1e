import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
// The adapter first, as the worker loads it: it must install the grouping before kafkajs loads.
import '../../src/kafka/event-log.ts';
import {
  groupMessagesPerPartition,
  linearGroupingInstalled,
} from '../../src/kafka/kafkajs/linear-grouping.ts';
import { compileKafkajsFile } from '../support/kafkajs-files.ts';

const require = createRequire(import.meta.url);
const GROUPING = 'kafkajs/src/producer/groupMessagesPerPartition.js';

type Grouping = typeof groupMessagesPerPartition;

/** kafkajs' own grouping, compiled from its file (the module cache holds the replacement). */
function kafkajsGrouping(): Grouping {
  return compileKafkajsFile(GROUPING) as Grouping;
}

describe("kafkajs' producer groups a send's records by partition in linear time", () => {
  it('uses the replacement once the adapter is loaded', () => {
    expect(linearGroupingInstalled).toBe(true);
    expect(require(GROUPING)).toBe(groupMessagesPerPartition);
    // kafkajs' producer was loaded after it, so it holds the replacement.
    expect(require.cache[require.resolve('kafkajs/src/producer/sendMessages.js')]).toBeDefined();
  });

  it("groups as kafkajs' own function does: every partition's records, in order", () => {
    const partitionMetadata = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }];
    const messages = Array.from({ length: 50 }, (_, i) => ({ value: `m${i}`, partition: (i * 7) % 3 }));
    const partitioner = ({ message }: { message: unknown }) => (message as { partition: number }).partition;
    const input = { topic: 't', partitionMetadata, messages, partitioner };
    const expected = kafkajsGrouping()(input);
    expect(expected[0]).toHaveLength(17);
    const grouped = groupMessagesPerPartition(input);
    expect(grouped).toEqual(expected);
    expect(Object.keys(grouped)).toEqual(Object.keys(expected));
    expect(grouped[1]![0]).toBe(messages[1]);
    // No partitions known: nothing, as kafkajs.
    expect(groupMessagesPerPartition({ ...input, partitionMetadata: [] })).toEqual(
      kafkajsGrouping()({ ...input, partitionMetadata: [] }),
    );
  });
});
