// Tributary's consumers on a partition where several transactional producers interleave aborted and
// committed transactions: the group consumer and the restore reader (through the event-log port) must
// return exactly the committed records, as Kafka's own Java read_committed consumer does, while a
// transaction holds the last stable offset back and after everything is decided.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  EventLogPort,
  GroupAssignor,
  GroupConsumerPort,
  LogRecord,
  RecordBatch,
} from '../../src/kafka/port.ts';
import { KAFKA_CLIENTS } from '../../src/kafka/connection.ts';
import { eventually } from '../support/eventually.ts';
import { JavaTransactionWriter, javaReadCommitted, type OracleRecord } from '../support/java-clients.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import { toOffset } from '../../src/common/offset.ts';

const brokers = kafkaBrokers();

/** Values are their key padded to this many bytes: small, or big enough that one fetch cannot hold two. */
const SMALL = 16;
const BIG = 700_000;

/**
 * A before B before C… in first offsets, but B aborts before A, so the broker lists B's abort first;
 * A commits a transaction right after its aborted one; transactions span fetches (big records); E
 * aborts with its marker beyond the last stable offset, which D's open transaction holds back.
 */
const PHASE_ONE = [
  'transactional A',
  'transactional B',
  'transactional C',
  'transactional D',
  'transactional E',
  'idempotent P',
  'begin A',
  `send A a1 ${SMALL}`,
  `send A a2 ${SMALL}`,
  'begin B',
  `send B b1 ${SMALL}`,
  `send P p1 ${SMALL}`,
  `send A a3 ${BIG}`,
  'begin C',
  `batch C c1 3 ${SMALL}`,
  'abort B',
  `send C c2 ${BIG}`,
  `send A a4 ${SMALL}`,
  `send P p2 ${BIG}`,
  'abort A',
  `send C c3 ${SMALL}`,
  'commit C',
  'begin A',
  `send A a5 ${SMALL}`,
  'commit A',
  'begin B',
  `send B b2 ${BIG}`,
  'begin C',
  `send C c4 ${SMALL}`,
  `send B b3 ${BIG}`,
  'commit C',
  'abort B',
  'begin E',
  `send E e1 ${SMALL}`,
  `batch E e2 2 ${BIG}`,
  'begin D',
  `send D d1 ${SMALL}`,
  `send E e3 ${SMALL}`,
  'abort E',
];

/**
 * D commits; A begins before C but C aborts first (listed first again); B commits in between; the log
 * ends with markers only.
 */
const PHASE_TWO = [
  'begin A',
  `send A a6 ${BIG}`,
  `send D d2 ${BIG}`,
  `send P p3 ${SMALL}`,
  'begin B',
  `send B b4 ${SMALL}`,
  'begin C',
  `send C c5 ${SMALL}`,
  'abort C',
  'abort A',
  `send D d3 ${SMALL}`,
  'commit B',
  'commit D',
];

/** The keys a script commits: idempotent sends, and sends inside transactions that commit. */
function committedKeys(script: readonly string[]): Set<string> {
  const transactional = new Set<string>();
  const open = new Map<string, string[]>();
  const committed = new Set<string>();
  for (const line of script) {
    const [command, producer, key, count] = line.split(' ') as [string, string, string?, string?];
    if (command === 'transactional') transactional.add(producer);
    else if (command === 'begin') open.set(producer, []);
    else if (command === 'commit') open.get(producer)!.forEach((k) => committed.add(k));
    else if (command === 'send' || command === 'batch') {
      const keys =
        command === 'batch' ? Array.from({ length: Number(count) }, (_, i) => `${key}-${i}`) : [key!];
      if (transactional.has(producer)) open.get(producer)!.push(...keys);
      else keys.forEach((k) => committed.add(k));
    }
  }
  return committed;
}

const keyOf = (r: LogRecord) => Buffer.from(r.key!).toString();
const describeRecord = (r: { offset: bigint | string; key: string; valueLength: number }) =>
  `${r.offset} ${r.key} ${r.valueLength}`;
const fromLog = (r: LogRecord) =>
  describeRecord({ offset: r.offset, key: keyOf(r), valueLength: r.value?.byteLength ?? -1 });

/** Everything delivered for the partition, and how far the consumer has moved. */
class Delivered {
  readonly records: string[] = [];
  next = -1n;
  failure: Error | undefined;

  onBatch = (batch: RecordBatch) => {
    this.records.push(...batch.records.map(fromLog));
    if (BigInt(batch.nextOffset) > this.next) this.next = BigInt(batch.nextOffset);
  };

  async reached(end: bigint): Promise<void> {
    await eventually(
      async () => {
        if (this.failure) throw this.failure;
        if (this.next < end) throw new Error(`at ${this.next}, not yet at ${end}`);
      },
      { timeoutMs: 60_000, stopWhen: () => this.failure !== undefined },
    );
  }
}

const soleMember: GroupAssignor = {
  name: 'sole-member',
  version: 1,
  subscriptionUserData: () => new Uint8Array(),
  assign(members, counts) {
    const partitions = [...counts].flatMap(([topic, n]) =>
      Array.from({ length: n }, (_, partition) => ({ topic, partition })),
    );
    return new Map(
      members.map((m, i) => [
        m.memberId,
        { partitions: i === 0 ? partitions : [], userData: new Uint8Array() },
      ]),
    );
  },
};

async function startGroupConsumer(
  port: EventLogPort,
  topic: string,
): Promise<[GroupConsumerPort, Delivered]> {
  const delivered = new Delivered();
  const consumer = port.groupConsumer({
    groupId: uniqueName('read-committed-group'),
    topics: [topic],
    assignor: soleMember,
    readCommitted: true,
    clientId: 'read-committed-test',
  });
  await consumer.start({
    onRevoking: () => undefined,
    onAssigned: async (assignment) => consumer.resume(assignment.partitions),
    onBatch: delivered.onBatch,
    onCrash: (error) => (delivered.failure = error),
  });
  return [consumer, delivered];
}

/** A restore reader started at `from`, read up to `end`: what it delivered. */
async function readFrom(port: EventLogPort, topic: string, from: bigint, end: bigint): Promise<string[]> {
  const delivered = new Delivered();
  const reader = port.partitionReader({
    readCommitted: true,
    topics: [topic],
    clientId: uniqueName('read-committed-restore'),
  });
  await reader.start(delivered.onBatch, (error) => (delivered.failure = error));
  try {
    await reader.assign({ topic, partition: 0, offset: toOffset(from) });
    await delivered.reached(end);
    return delivered.records;
  } finally {
    await reader.stop();
  }
}

const oracleFrom = (records: readonly OracleRecord[], from: bigint) =>
  records.filter((r) => r.offset >= from).map(describeRecord);

describe.skipIf(!brokers).each(KAFKA_CLIENTS)(
  'read_committed consumers on interleaved aborted transactions, through %s',
  (client) => {
    let kit: KafkaKit;
    const writers: JavaTransactionWriter[] = [];
    const javaWriter = (topic: string) => {
      const writer = new JavaTransactionWriter(brokers, topic, 0, topic);
      writers.push(writer);
      return writer;
    };

    beforeAll(() => {
      kit = new KafkaKit(brokers, undefined, undefined, client);
    });
    afterAll(async () => {
      await Promise.all(writers.map((w) => w.close()));
      await kit.close();
    });

    it('deliver exactly what the Java consumer delivers: the committed records, nothing aborted', async () => {
      const topic = uniqueName('interleaved-aborts');
      await kit.createTopics({ [topic]: 1 });
      const writer = javaWriter(topic);
      await writer.run(PHASE_ONE);
      const offsetOf = (key: string) => writer.offsets.get(key)!;

      // While D is open, the last stable offset is D's first record: E's abort marker lies beyond it.
      const before = await javaReadCommitted(brokers, topic, 0, 0n);
      expect(before.end).toBe(offsetOf('d1'));
      expect(offsetOf('e3')).toBeGreaterThan(before.end);
      const committedBefore = committedKeys(PHASE_ONE);
      expect(before.records.map((r) => r.key)).toEqual(
        [...writer.offsets].filter(([k, o]) => committedBefore.has(k) && o < before.end).map(([k]) => k),
      );

      const [consumer, group] = await startGroupConsumer(kit.port, topic);
      try {
        await group.reached(before.end);
        expect(group.records).toEqual(oracleFrom(before.records, 0n));

        // Restores start anywhere: inside one, two or three aborted transactions at once.
        const starts = ['a1', 'b1', 'a3', 'c1-1', 'c2', 'a4', 'b3', 'e1', 'e2-1'].map(offsetOf);
        const restoredBefore = await Promise.all(starts.map((s) => readFrom(kit.port, topic, s, before.end)));
        restoredBefore.forEach((records, i) =>
          expect(records, `restore from ${starts[i]}`).toEqual(oracleFrom(before.records, starts[i]!)),
        );

        await writer.run(PHASE_TWO);
        const after = await javaReadCommitted(brokers, topic, 0, 0n);
        const committedAfter = committedKeys([...PHASE_ONE, ...PHASE_TWO]);
        expect(after.records.map((r) => r.key)).toEqual(
          [...writer.offsets].filter(([k]) => committedAfter.has(k)).map(([k]) => k),
        );
        // The log ends with transaction markers: consumers must move past them too.
        expect(after.end).toBe(offsetOf('d3') + 3n);

        await group.reached(after.end);
        expect(group.records).toEqual(oracleFrom(after.records, 0n));

        const startsAfter = [...starts, ...['a6', 'd2', 'b4', 'c5'].map(offsetOf)];
        const restoredAfter = await Promise.all(
          startsAfter.map((s) => readFrom(kit.port, topic, s, after.end)),
        );
        restoredAfter.forEach((records, i) =>
          expect(records, `restore from ${startsAfter[i]}`).toEqual(
            oracleFrom(after.records, startsAfter[i]!),
          ),
        );
      } finally {
        await consumer.stop();
      }
    });

    it('deliver what the Java consumer delivers from a compacted log, moving past batches the cleaner emptied', async () => {
      // Keys are unique, so what read_committed returns does not depend on when the cleaner runs. The
      // cleaner keeps a producer's last batch even when it removed all its records (aborted data here).
      const topic = uniqueName('compacted-aborts');
      await kit.admin.createTopics([
        {
          topic,
          partitions: 1,
          config: {
            'cleanup.policy': 'compact',
            'segment.ms': '100',
            'min.cleanable.dirty.ratio': '0.01',
            'delete.retention.ms': '0',
          },
        },
      ]);
      const writer = javaWriter(topic);
      await writer.run(PHASE_ONE);
      // A record in a new segment leaves the first one to the cleaner, up to D's open transaction.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await writer.run([`send P rolled ${SMALL}`]);
      const rawKeys = await eventually(
        async () => {
          const records = await kit.readUntil(topic, (r) => r.some((x) => keyOf(x) === 'rolled'), {
            readCommitted: false,
          });
          const keys = records.map(keyOf);
          if (keys.includes('a1')) throw new Error('aborted records not cleaned yet');
          return keys;
        },
        { timeoutMs: 90_000, intervalMs: 1_000 },
      );
      expect(rawKeys).toContain('c1-0');
      // More interleaved transactions after the cleaned part.
      await writer.run(PHASE_TWO);

      const oracle = await javaReadCommitted(brokers, topic, 0, 0n);
      const committed = committedKeys([...PHASE_ONE, `send P rolled ${SMALL}`, ...PHASE_TWO]);
      expect(oracle.records.map((r) => r.key)).toEqual(
        [...writer.offsets].filter(([k]) => committed.has(k)).map(([k]) => k),
      );
      const [consumer, group] = await startGroupConsumer(kit.port, topic);
      try {
        await group.reached(oracle.end);
        expect(group.records).toEqual(oracleFrom(oracle.records, 0n));
      } finally {
        await consumer.stop();
      }
      const starts = ['a1', 'b1', 'a3', 'c2', 'b3', 'e1', 'd2'].map((k) => writer.offsets.get(k)!);
      const restored = await Promise.all(starts.map((s) => readFrom(kit.port, topic, s, oracle.end)));
      restored.forEach((records, i) =>
        expect(records, `restore from ${starts[i]}`).toEqual(oracleFrom(oracle.records, starts[i]!)),
      );
    });
  },
);
