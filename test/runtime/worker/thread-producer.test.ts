import { describe, expect, it } from 'vitest';
import type {
  GroupGeneration,
  OutgoingRecord,
  TopicPartitionOffset,
  TransactionalProducerPort,
  WrittenOffsets,
} from '../../../src/kafka/port.ts';
import { ThreadProducer } from '../../../src/runtime/worker/thread-producer.ts';
import { toOffset } from '../../../src/common/offset.ts';

/** A transactional producer that records what it is asked, in order; `failOn` makes one operation fail. */
class RecordingProducer implements TransactionalProducerPort {
  readonly calls: string[] = [];
  failOn: string | undefined;
  private next = 0n;

  readonly transactionalId: string;

  constructor(transactionalId: string) {
    this.transactionalId = transactionalId;
  }

  async begin(): Promise<void> {
    this.step('begin');
  }

  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    this.step(`send ${records.map((r) => `${r.topic}-${r.partition}`).join(',')}`);
    const written: WrittenOffsets = new Map();
    for (const r of records) {
      if (!written.has(r.topic)) written.set(r.topic, new Map());
      written.get(r.topic)!.set(r.partition, toOffset(this.next++));
    }
    return written;
  }

  async sendOffsets(
    groupId: string,
    offsets: readonly TopicPartitionOffset[],
    generation?: GroupGeneration,
  ): Promise<void> {
    this.step(
      `offsets ${groupId} ${offsets.map((o) => `${o.topic}-${o.partition}@${o.offset}`).join(',')} generation ${generation?.generationId}/${generation?.memberId}`,
    );
  }

  async commit(): Promise<void> {
    this.step('commit');
  }

  async abort(): Promise<void> {
    this.step('abort');
  }

  async close(): Promise<void> {
    this.step('close');
  }

  private step(call: string): void {
    this.calls.push(call);
    if (this.failOn && call.startsWith(this.failOn)) throw new Error(`${call} failed`);
  }
}

const record = (topic: string, partition: number): OutgoingRecord => ({
  topic,
  partition,
  key: null,
  value: new Uint8Array([1]),
  timestamp: 0,
  headers: {},
});
const generation: GroupGeneration = { generationId: 7, memberId: 'member-a', groupInstanceId: null };

function threadProducer() {
  const made: RecordingProducer[] = [];
  const written: WrittenOffsets[] = [];
  const thread = new ThreadProducer({
    create: async () => {
      const producer = new RecordingProducer(`app-process-1`);
      made.push(producer);
      return producer;
    },
    onWritten: (w) => written.push(w),
  });
  return { thread, made, written };
}

describe('ThreadProducer: one transaction for every task of a member', () => {
  it('puts the output of several tasks and all their offsets, with the generation, in one transaction', async () => {
    const { thread, made, written } = threadProducer();
    thread.enqueue([record('out', 0), record('task-0_0-changelog', 0)]);
    thread.enqueue([record('out', 1)]);
    await thread.commit(
      'app',
      [
        { topic: 'in', partition: 0, offset: toOffset(5) },
        { topic: 'in', partition: 1, offset: toOffset(9) },
      ],
      generation,
    );
    expect(made).toHaveLength(1);
    const calls = made[0]!.calls;
    expect(calls[0]).toBe('begin');
    expect(calls.filter((c) => c === 'begin')).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith('send')).join(',')).toContain('out-0');
    expect(calls.slice(-2)).toEqual(['offsets app in-0@5,in-1@9 generation 7/member-a', 'commit']);
    expect(written.flatMap((w) => [...w.keys()]).sort()).toEqual(['out', 'out', 'task-0_0-changelog']);

    // The next commit interval: a new transaction on the same producer.
    thread.enqueue([record('out', 2)]);
    await thread.commit('app', [], generation);
    expect(made).toHaveLength(1);
    expect(made[0]!.calls.slice(-3)).toEqual(['begin', 'send out-2', 'commit']);
  });

  it('opens no transaction, and makes no producer, while there is nothing to commit', async () => {
    const { thread, made } = threadProducer();
    await thread.commit('app', [], generation);
    expect(made).toHaveLength(0);
    await thread.commit('app', [{ topic: 'in', partition: 0, offset: toOffset(1) }], generation);
    expect(made[0]!.calls).toEqual(['begin', 'offsets app in-0@1 generation 7/member-a', 'commit']);
    await thread.commit('app', [], generation);
    expect(made[0]!.calls).toHaveLength(3);
  });

  it('after a refused commit, aborts and closes the producer, and the next send makes a new one', async () => {
    const { thread, made } = threadProducer();
    thread.enqueue([record('out', 0)]);
    await thread.room();
    made[0]!.failOn = 'offsets';
    await expect(
      thread.commit('app', [{ topic: 'in', partition: 0, offset: toOffset(3) }], generation),
    ).rejects.toThrow(/offsets app in-0@3 generation 7\/member-a failed/);
    await thread.reset();
    expect(made[0]!.calls.slice(-2)).toEqual(['abort', 'close']);

    thread.enqueue([record('out', 1)]);
    await thread.commit('app', [{ topic: 'in', partition: 0, offset: toOffset(3) }], generation);
    expect(made).toHaveLength(2);
    expect(made[1]!.calls).toEqual([
      'begin',
      'send out-1',
      'offsets app in-0@3 generation 7/member-a',
      'commit',
    ]);
  });

  it('a failed send surfaces at the commit, which commits nothing', async () => {
    const { thread, made } = threadProducer();
    thread.enqueue([record('out', 0)]);
    await thread.room();
    // Let the first send run, then make the next fail.
    await thread.commit('app', [], generation);
    made[0]!.failOn = 'send';
    thread.enqueue([record('out', 1)]);
    await expect(
      thread.commit('app', [{ topic: 'in', partition: 0, offset: toOffset(2) }], generation),
    ).rejects.toThrow(/send out-1 failed/);
    expect(made[0]!.calls.slice(-2)).toEqual(['begin', 'send out-1']);
    await thread.close();
    expect(made[0]!.calls.slice(-2)).toEqual(['abort', 'close']);
  });
});
