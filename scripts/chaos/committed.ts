// What Kafka committed to a set of topics, read twice: by the broker's own Java read_committed consumer
// (scripts/kafka/CommittedReader.java) and by Tributary's consumer (the kafkajs adapter's partition
// reader with its read_committed filter). A chaos run compares both with the oracle.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaEventLog } from '../../src/kafka/kafkajs/event-log.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { root } from './brokers.ts';
import { formatOffset, toOffset } from '../../src/common/offset.ts';

const run = promisify(execFile);

export interface CommittedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
}

const fromBase64 = (text: string) => (text === '-' ? null : new Uint8Array(Buffer.from(text, 'base64')));

/** Every committed record of the topics (a missing topic has none), by Kafka's Java consumer. */
export async function readWithJava(bootstrap: string, topics: readonly string[]): Promise<CommittedRecord[]> {
  const { stdout } = await run(
    'bash',
    [join(root, 'scripts/kafka/java-client.sh'), 'CommittedReader', bootstrap, ...topics],
    { maxBuffer: 512 * 1024 * 1024, timeout: 300_000 },
  );
  const records: CommittedRecord[] = [];
  for (const line of stdout.split('\n')) {
    const [kind, topic, partition, offset, key, value] = line.split(' ');
    if (kind === 'record')
      records.push({
        topic: topic!,
        partition: Number(partition),
        offset: offset!,
        key: fromBase64(key!),
        value: fromBase64(value!),
      });
  }
  return records;
}

/**
 * Every committed record of the topics, by Tributary's own consumer: each partition from offset 0 to
 * the end it has once nothing writes to it any more (the last stable offset is then the high watermark).
 */
export async function readWithTributary(
  bootstrap: string,
  topics: readonly string[],
  timeoutMs = 120_000,
): Promise<CommittedRecord[]> {
  const log = kafkaEventLog({
    brokers: bootstrap.split(','),
    clientId: 'chaos-reader',
    logger: silentLogger,
  });
  const admin = log.admin();
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  const records: CommittedRecord[] = [];
  if (present.length === 0) return records;
  const remaining = new Map<string, bigint>();
  for (const topic of present)
    for (const [partition, range] of await admin.offsets(topic))
      if (range.high > 0n) remaining.set(`${topic}/${partition}`, range.high);
  const reader = log.partitionReader({ readCommitted: true, topics: present, clientId: 'chaos-reader' });
  let failure: Error | undefined;
  await reader.start(
    (batch) => {
      for (const r of batch.records)
        records.push({
          topic: batch.topic,
          partition: batch.partition,
          offset: formatOffset(r.offset),
          key: r.key,
          value: r.value,
        });
      const key = `${batch.topic}/${batch.partition}`;
      const end = remaining.get(key);
      if (end !== undefined && BigInt(batch.nextOffset) >= end) remaining.delete(key);
    },
    (error) => (failure = error),
  );
  try {
    for (const key of [...remaining.keys()]) {
      const at = key.lastIndexOf('/');
      await reader.assign({
        topic: key.slice(0, at),
        partition: Number(key.slice(at + 1)),
        offset: toOffset(0),
      });
    }
    const deadline = Date.now() + timeoutMs;
    while (remaining.size > 0) {
      if (failure) throw failure;
      if (Date.now() > deadline)
        throw new Error(`Tributary's reader did not reach the end of ${[...remaining.keys()].join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return records;
  } finally {
    await reader.stop();
    await admin.close();
  }
}
