/**
 * The event-log port's contract, as the worker runtime relies on it, written once and run against
 * every implementation: the embedded log (test/embedded/event-log-contract.test.ts) and Kafka through
 * kafkajs (test/integration/event-log-contract.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GroupFencedError,
  isFencedError,
  type EventLogPort,
  type GroupAssignment,
  type GroupAssignor,
  type GroupConsumerPort,
  type LogRecord,
  type MemberAssignment,
  type OutgoingRecord,
  type PartitionReaderPort,
  type RecordBatch,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../../src/kafka/port.ts';
import { toOffset } from '../../src/common/offset.ts';

export interface ContractSetup {
  /** The port under test; created once per suite. */
  port(): EventLogPort;
  /** How long to wait for something that must happen (a rebalance on Kafka takes seconds). */
  readonly patienceMs: number;
  /** How long to wait to be fairly sure something does not happen. */
  readonly quietMs: number;
  close?(): Promise<void>;
}

const text = new TextEncoder();
const bytes = (s: string) => text.encode(s);
const str = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('utf8'));
const headerText = (v: string | Uint8Array | undefined) =>
  v === undefined ? undefined : typeof v === 'string' ? v : Buffer.from(v).toString('utf8');

function record(
  topic: string,
  partition: number,
  value: string,
  key: string | null = `k-${value}`,
): OutgoingRecord {
  return {
    topic,
    partition,
    key: key === null ? null : bytes(key),
    value: bytes(value),
    timestamp: 1_700_000_000_000,
    headers: {},
  };
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => T | undefined | false | Promise<T | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects what a partition reader delivers. */
class Collector {
  readonly batches: RecordBatch[] = [];
  readonly reader: PartitionReaderPort;
  failure: Error | undefined;

  constructor(port: EventLogPort, topics: string[], readCommitted: boolean) {
    this.reader = port.partitionReader({
      readCommitted,
      topics,
      clientId: `contract-${randomUUID().slice(0, 8)}`,
    });
  }

  async start(): Promise<this> {
    await this.reader.start(
      (batch) => this.batches.push(batch),
      (error) => (this.failure = error),
    );
    return this;
  }

  get records(): LogRecord[] {
    return this.batches.flatMap((b) => b.records);
  }

  values(partition?: number): string[] {
    return this.records
      .filter((r) => partition === undefined || r.partition === partition)
      .map((r) => str(r.value)!);
  }

  /** The furthest nextOffset delivered for a partition. */
  next(tp: TopicPartition): bigint {
    let next = -1n;
    for (const b of this.batches)
      if (b.topic === tp.topic && b.partition === tp.partition && BigInt(b.nextOffset) > next)
        next = BigInt(b.nextOffset);
    return next;
  }
}

/** Round robin over the partitions, members sorted by id; the user data says who got what. */
function testAssignor(
  label: string,
  calls: { counts: ReadonlyMap<string, number>; members: number }[] = [],
): GroupAssignor {
  return {
    name: 'contract-round-robin',
    version: 1,
    subscriptionUserData: () => bytes(label),
    assign(members, counts) {
      calls.push({ counts, members: members.length });
      const ids = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
      const all: TopicPartition[] = [...counts].flatMap(([topic, n]) =>
        Array.from({ length: n }, (_, partition) => ({ topic, partition })),
      );
      const result = new Map<string, MemberAssignment>();
      ids.forEach((m, i) =>
        result.set(m.memberId, {
          partitions: all.filter((_, j) => j % ids.length === i),
          userData: bytes(`for:${str(m.userData)}`),
        }),
      );
      return result;
    },
  };
}

/** A group member that records what happens to it and resumes its partitions once assigned. */
class Member {
  readonly consumer: GroupConsumerPort;
  readonly batches: RecordBatch[] = [];
  readonly assignments: GroupAssignment[] = [];
  revocations = 0;
  failure: Error | undefined;
  autoResume = true;

  constructor(port: EventLogPort, groupId: string, topics: string[], assignor: GroupAssignor) {
    this.consumer = port.groupConsumer({
      groupId,
      topics,
      assignor,
      readCommitted: false,
      clientId: 'contract',
    });
  }

  async start(): Promise<this> {
    await this.consumer.start({
      onRevoking: () => this.revocations++,
      onAssigned: async (assignment) => {
        this.assignments.push(assignment);
        if (this.autoResume) this.consumer.resume(assignment.partitions);
      },
      onBatch: (batch) => this.batches.push(batch),
      onCrash: (error) => (this.failure = error),
    });
    return this;
  }

  get latest(): GroupAssignment | undefined {
    return this.assignments[this.assignments.length - 1];
  }

  values(): string[] {
    return this.batches.flatMap((b) => b.records.map((r) => str(r.value)!));
  }
}

export function describeEventLogContract(name: string, setup: ContractSetup): void {
  describe(`the event-log port contract: ${name}`, () => {
    let port: EventLogPort;
    const cleanups: (() => Promise<unknown>)[] = [];
    const topicName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
    const { patienceMs, quietMs } = setup;

    async function createTopic(prefix: string, partitions: number): Promise<string> {
      const topic = topicName(prefix);
      const admin = port.admin();
      await admin.createTopics([{ topic, partitions, config: {} }]);
      await admin.close();
      return topic;
    }

    async function produce(records: OutgoingRecord[]) {
      const producer = port.producer({});
      try {
        return await producer.send(records);
      } finally {
        await producer.close();
      }
    }

    async function collector(topics: string[], readCommitted: boolean, positions: TopicPartitionOffset[]) {
      const c = await new Collector(port, topics, readCommitted).start();
      cleanups.push(() => c.reader.stop());
      for (const p of positions) await c.reader.assign(p);
      return c;
    }

    async function member(
      groupId: string,
      topics: string[],
      label: string,
      calls?: Parameters<typeof testAssignor>[1],
    ) {
      const m = new Member(port, groupId, topics, testAssignor(label, calls));
      cleanups.push(() => m.consumer.stop());
      return m.start();
    }

    beforeAll(() => {
      port = setup.port();
    });
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      await setup.close?.();
    });

    it('creates topics once, counts their partitions, lists, reports offsets and deletes them', async () => {
      const admin = port.admin();
      try {
        const topic = topicName('admin');
        await admin.createTopics([{ topic, partitions: 3, config: {} }]);
        await admin.createTopics([{ topic, partitions: 5, config: {} }]);
        const missing = topicName('missing');
        expect(await admin.partitionCounts([topic, missing])).toEqual(new Map([[topic, 3]]));
        expect(await admin.listTopics()).toContain(topic);
        expect(await admin.offsets(topic)).toEqual(new Map([0, 1, 2].map((p) => [p, { low: 0n, high: 0n }])));
        await produce([record(topic, 1, 'a'), record(topic, 1, 'b')]);
        expect((await admin.offsets(topic)).get(1)).toEqual({ low: 0n, high: 2n });
        await admin.deleteTopics([topic]);
        await waitFor(
          'the topic to be gone',
          patienceMs,
          async () => !(await admin.partitionCounts([topic])).has(topic),
        );
      } finally {
        await admin.close();
      }
    });

    it('finds the first offset at or after a time in each partition, and the end where there is none', async () => {
      const topic = await createTopic('times', 2);
      // Recent timestamps, so a broker's retention keeps them; out of order in partition 0, as producers may write.
      const base = Math.floor(Date.now() / 1000) * 1000;
      const at = (partition: number, timestamp: number): OutgoingRecord => ({
        ...record(topic, partition, String(timestamp)),
        timestamp,
      });
      await produce([at(0, base + 1000), at(0, base + 3000), at(0, base + 2000), at(1, base + 500)]);
      const admin = port.admin();
      try {
        expect(await admin.offsetsForTime(topic, base)).toEqual(
          new Map([
            [0, 0n],
            [1, 0n],
          ]),
        );
        // Partition 0: the first record at or after base+1500 is the one at offset 1 (base+3000).
        expect(await admin.offsetsForTime(topic, base + 1500)).toEqual(
          new Map([
            [0, 1n],
            [1, 1n],
          ]),
        );
        expect(await admin.offsetsForTime(topic, base + 5000)).toEqual(
          new Map([
            [0, 3n],
            [1, 1n],
          ]),
        );
      } finally {
        await admin.close();
      }
    });

    it('appends with consecutive offsets per partition and reads back keys, values, nulls, timestamps and headers', async () => {
      const topic = await createTopic('produce', 2);
      const first = await produce([
        record(topic, 0, 'a'),
        record(topic, 1, 'x'),
        record(topic, 0, 'b'),
        {
          topic,
          partition: 0,
          key: null,
          value: null,
          timestamp: 1_700_000_000_123,
          headers: { h: 'text', raw: bytes('raw') },
        },
      ]);
      expect(first.get(topic)).toEqual(
        new Map([
          [0, 2n],
          [1, 0n],
        ]),
      );
      const second = await produce([record(topic, 0, 'c')]);
      expect(second.get(topic)?.get(0)).toBe(3n);

      const c = await collector([topic], false, [
        { topic, partition: 0, offset: toOffset(0) },
        { topic, partition: 1, offset: toOffset(0) },
      ]);
      await waitFor('all records', patienceMs, () => c.records.length === 5);
      const p0 = c.records.filter((r) => r.partition === 0);
      expect(p0.map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n]);
      expect(p0.map((r) => str(r.value))).toEqual(['a', 'b', null, 'c']);
      expect(str(p0[0]!.key)).toBe('k-a');
      expect(p0[2]!.key).toBeNull();
      expect(p0[2]!.timestamp).toBe(1_700_000_000_123);
      expect(p0[0]!.timestamp).toBe(1_700_000_000_000);
      expect(headerText(p0[2]!.headers.h)).toBe('text');
      expect(headerText(p0[2]!.headers.raw)).toBe('raw');
      expect(c.values(1)).toEqual(['x']);
      expect(c.next({ topic, partition: 0 })).toBe(4n);
    });

    it('takes a send of any size, plain or in a transaction, in order, reporting the last offset per partition', async () => {
      // 6,000 records of 1 KB for one partition: several times a broker's default message limit.
      const topic = await createTopic('large-send', 2);
      const big = (partition: number, from: number, count: number) =>
        Array.from({ length: count }, (_, i) => ({
          ...record(topic, partition, String(from + i).padStart(1_000, '0')),
          key: null,
        }));
      const written = await produce([...big(0, 0, 6_000), ...big(1, 0, 10)]);
      expect(written.get(topic)).toEqual(
        new Map([
          [0, 5_999n],
          [1, 9n],
        ]),
      );
      const producer = await port.transactionalProducer({ transactionalId: topicName('large-txn') });
      cleanups.push(() => producer.close());
      await producer.begin();
      expect((await producer.send(big(0, 6_000, 6_000))).get(topic)?.get(0)).toBe(11_999n);
      await producer.commit();
      const c = await collector([topic], true, [{ topic, partition: 0, offset: toOffset(0) }]);
      await waitFor('every record', patienceMs, () => c.records.length >= 12_000);
      expect(c.values().map(Number)).toEqual(Array.from({ length: 12_000 }, (_, i) => i));
    });

    it('reads from a given offset, waits for new records, and stops at unassign', async () => {
      const topic = await createTopic('reader', 1);
      await produce(['a', 'b', 'c'].map((v) => record(topic, 0, v)));
      const c = await collector([topic], false, [{ topic, partition: 0, offset: toOffset(1) }]);
      await waitFor('b and c', patienceMs, () => c.records.length === 2);
      expect(c.values()).toEqual(['b', 'c']);
      const last = c.batches[c.batches.length - 1]!;
      expect(last.highWatermark).toBe(3n);

      await sleep(quietMs);
      await produce([record(topic, 0, 'd')]);
      await waitFor('d', patienceMs, () => c.records.length === 3);
      expect(c.values()).toEqual(['b', 'c', 'd']);

      await c.reader.unassign({ topic, partition: 0 });
      await produce([record(topic, 0, 'e')]);
      await sleep(quietMs);
      expect(c.values()).toEqual(['b', 'c', 'd']);

      await c.reader.assign({ topic, partition: 0, offset: toOffset(0) });
      await waitFor(
        'a re-read from 0',
        patienceMs,
        () => c.values().includes('e') && c.values().filter((v) => v === 'a').length === 1,
      );
    });

    it('keeps a transaction invisible to read_committed until it commits; aborted records never show, but are stepped over', async () => {
      const topic = await createTopic('txn', 1);
      const committed = await collector([topic], true, [{ topic, partition: 0, offset: toOffset(0) }]);
      const uncommitted = await collector([topic], false, [{ topic, partition: 0, offset: toOffset(0) }]);
      const producer = await port.transactionalProducer({ transactionalId: topicName('txn-id') });
      cleanups.push(() => producer.close());

      await producer.begin();
      await producer.send([record(topic, 0, 'aborted-1'), record(topic, 0, 'aborted-2')]);
      await waitFor(
        'read_uncommitted to see open records',
        patienceMs,
        () => uncommitted.records.length === 2,
      );
      await producer.abort();

      await producer.begin();
      await producer.send([record(topic, 0, 'one')]);
      await sleep(quietMs);
      expect(committed.values()).toEqual([]);
      await producer.send([record(topic, 0, 'two')]);
      await producer.commit();
      await waitFor('the committed records', patienceMs, () => committed.records.length === 2);
      expect(committed.values()).toEqual(['one', 'two']);
      // Offsets: 2 aborted records, their marker, 2 records, their marker.
      expect(committed.records.map((r) => r.offset)).toEqual([3n, 4n]);
      await waitFor(
        'the position past the commit marker',
        patienceMs,
        () => committed.next({ topic, partition: 0 }) === 6n,
      );
      expect(uncommitted.values()).toEqual(['aborted-1', 'aborted-2', 'one', 'two']);

      const admin = port.admin();
      expect((await admin.offsets(topic)).get(0)?.high).toBe(6n);
      await admin.close();
    });

    it('reports to read_committed the end of what is committed, not counting a transaction still open', async () => {
      const topic = await createTopic('txn-end', 1);
      const done = await port.transactionalProducer({ transactionalId: topicName('txn-end-done') });
      const open = await port.transactionalProducer({ transactionalId: topicName('txn-end-open') });
      cleanups.push(
        () => done.close(),
        () => open.close(),
      );
      await done.begin();
      await done.send([record(topic, 0, 'committed')]);
      await done.commit();
      // A commit returns once the coordinator has decided; it writes the marker afterwards. Opening
      // the next transaction before the marker lands would put the open record before it.
      const admin = port.admin();
      cleanups.push(() => admin.close());
      await waitFor(
        'the commit marker',
        patienceMs,
        async () => (await admin.offsets(topic)).get(0)?.high === 2n,
      );
      await open.begin();
      await open.send([record(topic, 0, 'open')]);

      // Offsets: the committed record, its marker, the open one. A task waiting for this partition
      // (KIP-695) must see it caught up at 2, not behind until the open transaction ends.
      const committed = await collector([topic], true, [{ topic, partition: 0, offset: toOffset(0) }]);
      await waitFor('the committed record', patienceMs, () => committed.records.length === 1);
      await waitFor(
        'the position past its marker',
        patienceMs,
        () => committed.next({ topic, partition: 0 }) === 2n,
      );
      expect(committed.batches.at(-1)!.highWatermark).toBe(2n);

      await open.abort();
      await waitFor(
        'the position past the abort marker',
        patienceMs,
        () => committed.next({ topic, partition: 0 }) === 4n,
      );
      expect(committed.batches.at(-1)!.highWatermark).toBe(4n);
      expect(committed.values()).toEqual(['committed']);
    });

    it('commits consumed offsets with a transaction, and only with a committed one', async () => {
      const topic = await createTopic('txn-offsets', 2);
      const groupId = topicName('txn-group');
      const producer = await port.transactionalProducer({ transactionalId: topicName('txn-id') });
      cleanups.push(() => producer.close());
      await producer.begin();
      await producer.sendOffsets(groupId, [{ topic, partition: 1, offset: toOffset(7) }]);
      await producer.abort();
      const admin = port.admin();
      try {
        expect(await admin.committedOffsets(groupId, topic)).toEqual(new Map());
        await producer.begin();
        await producer.send([record(topic, 0, 'out')]);
        await producer.sendOffsets(groupId, [
          { topic, partition: 0, offset: toOffset(3) },
          { topic, partition: 1, offset: toOffset(5) },
        ]);
        await producer.commit();
        // Kafka answers the commit once it is decided and writes the markers that make the group's
        // offsets visible just after: they show up a moment later, not necessarily at once.
        const expected = new Map([
          [0, { offset: toOffset(3), metadata: null }],
          [1, { offset: toOffset(5), metadata: null }],
        ]);
        const committed = await waitFor('the committed offsets', patienceMs, async () => {
          const offsets = await admin.committedOffsets(groupId, topic);
          return offsets.size === expected.size && offsets;
        });
        expect(committed).toEqual(expected);
      } finally {
        await admin.close();
      }
    });

    it('fences the older producer of a transactional id and aborts its open transaction', async () => {
      const topic = await createTopic('fence', 1);
      const transactionalId = topicName('fence-id');
      const zombie = await port.transactionalProducer({ transactionalId });
      cleanups.push(() => zombie.close());
      await zombie.begin();
      await zombie.send([record(topic, 0, 'zombie')]);

      const successor = await port.transactionalProducer({ transactionalId });
      cleanups.push(() => successor.close());
      const failure = await zombie.send([record(topic, 0, 'late')]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isFencedError(failure)).toBe(true);
      await expect(zombie.commit()).rejects.toSatisfy(isFencedError);

      await successor.begin();
      await successor.send([record(topic, 0, 'successor')]);
      await successor.commit();
      const c = await collector([topic], true, [{ topic, partition: 0, offset: toOffset(0) }]);
      await waitFor('the successor record', patienceMs, () => c.records.length === 1);
      await sleep(quietMs);
      expect(c.values()).toEqual(['successor']);
    });

    it('fences transactional offsets by the group generation where it says so, and refuses a generation it cannot carry', async () => {
      const topic = await createTopic('generation', 1);
      // Offsets within the partition: a member (kafkajs') reading from a committed offset beyond its end
      // would commit its default offset in its place.
      await produce([record(topic, 0, 'a'), record(topic, 0, 'b'), record(topic, 0, 'c')]);
      const groupId = topicName('generation-group');
      const admin = port.admin();
      cleanups.push(() => admin.close());
      const first = await member(groupId, [topic], 'first');
      const old = await waitFor('the first assignment', patienceMs, () => first.latest);
      const generationOf = (a: GroupAssignment) => ({
        generationId: a.generationId,
        memberId: a.memberId,
        groupInstanceId: null,
      });
      const producer = await port.transactionalProducer({ transactionalId: topicName('generation-id') });
      cleanups.push(() => producer.close());
      await producer.begin();
      if (!port.groupFencedOffsets) {
        // Never silently dropped: a log that cannot fence by generation says so.
        await expect(
          producer.sendOffsets(groupId, [{ topic, partition: 0, offset: toOffset(1) }], generationOf(old)),
        ).rejects.toThrow(/cannot fence transactional offsets by the group generation/);
        await producer.abort();
        return;
      }
      await producer.sendOffsets(groupId, [{ topic, partition: 0, offset: toOffset(1) }], generationOf(old));
      await producer.commit();
      // The group applies a transaction's offsets once its commit marker is written, after EndTxn.
      const committed = async (offset: bigint) =>
        (await admin.committedOffsets(groupId, topic)).get(0)?.offset === offset;
      await waitFor('the offsets of the first generation', patienceMs, () => committed(1n));

      // A second member joins: the group moves to a new generation, and the first one's is over.
      const second = await member(groupId, [topic], 'second');
      const current = await waitFor('the next generation', patienceMs, () => {
        const a = first.latest;
        return a && a.generationId > old.generationId && second.latest?.generationId === a.generationId
          ? a
          : undefined;
      });
      await producer.begin();
      const refused = await producer
        .sendOffsets(groupId, [{ topic, partition: 0, offset: toOffset(2) }], generationOf(old))
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(refused).toBeInstanceOf(GroupFencedError);
      expect(isFencedError(refused)).toBe(true);
      await producer.abort();
      expect((await admin.committedOffsets(groupId, topic)).get(0)?.offset).toBe(1n);

      // The member's current generation is accepted (a new producer: the refused one is done).
      const survivor = await port.transactionalProducer({ transactionalId: topicName('generation-id') });
      cleanups.push(() => survivor.close());
      await survivor.begin();
      await survivor.sendOffsets(
        groupId,
        [{ topic, partition: 0, offset: toOffset(3) }],
        generationOf(current),
      );
      await survivor.commit();
      await waitFor('the offsets of the current generation', patienceMs, () => committed(3n));
    });

    it('assigns a lone member every partition through the assignor, delivering only after resume, from the committed offset', async () => {
      const topic = await createTopic('group', 3);
      const groupId = topicName('group');
      await produce([
        record(topic, 0, 'a0'),
        record(topic, 0, 'b0'),
        record(topic, 1, 'a1'),
        record(topic, 2, 'a2'),
      ]);
      const admin = port.admin();
      // The group already committed partition 0 up to offset 1.
      const tx = await port.transactionalProducer({ transactionalId: topicName('seed') });
      await tx.begin();
      await tx.sendOffsets(groupId, [{ topic, partition: 0, offset: toOffset(1) }]);
      await tx.commit();
      await tx.close();

      const calls: { counts: ReadonlyMap<string, number>; members: number }[] = [];
      const m = new Member(port, groupId, [topic], testAssignor('solo', calls));
      m.autoResume = false;
      cleanups.push(() => m.consumer.stop());
      await m.start();
      const assignment = await waitFor('an assignment', patienceMs, () => m.latest);
      expect(calls.at(-1)).toEqual({ counts: new Map([[topic, 3]]), members: 1 });
      expect([...assignment.partitions].sort((a, b) => a.partition - b.partition)).toEqual(
        [0, 1, 2].map((partition) => ({ topic, partition })),
      );
      expect(str(assignment.userData)).toBe('for:solo');
      expect(assignment.members.map((x) => x.memberId)).toEqual([assignment.memberId]);
      expect(str(assignment.members[0]!.subscription)).toBe('solo');

      await sleep(quietMs);
      expect(m.values()).toEqual([]);
      m.consumer.resume(assignment.partitions);
      await waitFor('records after resume', patienceMs, () => m.values().length === 3);
      expect(m.values().sort()).toEqual(['a1', 'a2', 'b0']);

      await m.consumer.commit([{ topic, partition: 2, offset: toOffset(1) }]);
      expect((await admin.committedOffsets(groupId, topic)).get(2)).toEqual({
        offset: toOffset(1),
        metadata: null,
      });
      // The metadata committed beside an offset is how a worker tells the next owner it let a task go.
      await m.consumer.commit([{ topic, partition: 1, offset: toOffset(2) }], {
        metadata: 'tributary:released:r1',
      });
      expect((await admin.committedOffsets(groupId, topic)).get(1)).toEqual({
        offset: toOffset(2),
        metadata: 'tributary:released:r1',
      });
      await admin.close();
    });

    it('pauses, resumes and seeks a partition of a member', async () => {
      const topic = await createTopic('pause', 1);
      const m = await member(topicName('pause-group'), [topic], 'p');
      await waitFor('an assignment', patienceMs, () => m.latest);
      await produce([record(topic, 0, 'a')]);
      await waitFor('a', patienceMs, () => m.values().length === 1);
      m.consumer.pause([{ topic, partition: 0 }]);
      await sleep(quietMs);
      await produce([record(topic, 0, 'b')]);
      await sleep(quietMs);
      expect(m.values()).toEqual(['a']);
      m.consumer.resume([{ topic, partition: 0 }]);
      await waitFor('b', patienceMs, () => m.values().length === 2);
      m.consumer.seek({ topic, partition: 0, offset: toOffset(0) });
      await waitFor('a and b again', patienceMs, () => m.values().length === 4);
      expect(m.values()).toEqual(['a', 'b', 'a', 'b']);
    });

    it('rebalances when members join and leave: partitions are split, then all go to the one left', async () => {
      const topic = await createTopic('rebalance', 4);
      const groupId = topicName('rebalance-group');
      const first = await member(groupId, [topic], 'first');
      await waitFor('the first assignment', patienceMs, () => first.latest?.partitions.length === 4);
      const second = await member(groupId, [topic], 'second');
      await waitFor('a split', patienceMs, () =>
        first.latest?.partitions.length === 2 && second.latest?.partitions.length === 2 ? true : undefined,
      );
      expect(first.revocations).toBeGreaterThan(0);
      const owned = [...first.latest!.partitions, ...second.latest!.partitions]
        .map((p) => p.partition)
        .sort();
      expect(owned).toEqual([0, 1, 2, 3]);
      expect(first.latest!.members).toHaveLength(2);
      expect(first.latest!.members.map((x) => str(x.subscription)).sort()).toEqual(['first', 'second']);

      await produce([0, 1, 2, 3].map((p) => record(topic, p, `v${p}`)));
      await waitFor(
        'every record once',
        patienceMs,
        () => first.values().length + second.values().length === 4,
      );

      await second.consumer.stop();
      await waitFor(
        'all partitions back with the first',
        patienceMs,
        () => first.latest?.partitions.length === 4,
      );
      expect(first.failure).toBeUndefined();
    });
  });
}
