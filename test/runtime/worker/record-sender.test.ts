import { describe, expect, it } from 'vitest';
import type { OutgoingRecord, WrittenOffsets } from '../../../src/kafka/port.ts';
import { MAX_UNSENT_RECORDS, RecordSender } from '../../../src/runtime/worker/record-sender.ts';
import { toOffset } from '../../../src/common/offset.ts';

function records(from: number, count: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    topic: 't',
    partition: 0,
    key: null,
    value: new TextEncoder().encode(String(from + i)),
    timestamp: 0,
    headers: {},
  }));
}

const numbers = (sent: readonly OutgoingRecord[]) =>
  sent.map((r) => Number(new TextDecoder().decode(r.value!)));

/** A producer whose sends complete when the test says so. */
function manualProducer() {
  const sends: { records: readonly OutgoingRecord[]; settle: (error?: Error) => void }[] = [];
  let offset = 0n;
  const send = (batch: readonly OutgoingRecord[]) =>
    new Promise<WrittenOffsets>((resolve, reject) => {
      sends.push({
        records: batch,
        settle: (error) => {
          if (error) return reject(error);
          offset += BigInt(batch.length);
          resolve(new Map([['t', new Map([[0, toOffset(offset - 1n)]])]]));
        },
      });
    });
  return { sends, send };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RecordSender', () => {
  it('sends one batch at a time, in order, taking together what arrived meanwhile', async () => {
    const producer = manualProducer();
    const written: bigint[] = [];
    const sender = new RecordSender({
      send: producer.send,
      onWritten: (w) => written.push(w.get('t')!.get(0)!),
    });
    sender.enqueue(records(0, 2));
    sender.enqueue(records(2, 3));
    sender.enqueue(records(5, 1));
    expect(producer.sends).toHaveLength(1);
    let flushed = false;
    void sender.flushed().then(() => (flushed = true));
    producer.sends[0]!.settle();
    await tick();
    expect(producer.sends).toHaveLength(2);
    expect(flushed).toBe(false);
    producer.sends[1]!.settle();
    await tick();
    expect(flushed).toBe(true);
    expect(producer.sends.map((s) => numbers(s.records))).toEqual([
      [0, 1],
      [2, 3, 4, 5],
    ]);
    expect(written).toEqual([1n, 5n]);
  });

  it('holds the loop back while more than its bound is unacknowledged', async () => {
    const producer = manualProducer();
    const sender = new RecordSender({ send: producer.send, onWritten: () => undefined });
    sender.enqueue(records(0, MAX_UNSENT_RECORDS));
    sender.enqueue(records(MAX_UNSENT_RECORDS, 10));
    expect(sender.full).toBe(true);
    let room = false;
    void sender.room().then(() => (room = true));
    await tick();
    expect(room).toBe(false);
    // The first send is acknowledged: what is left (10 records) is within the bound.
    producer.sends[0]!.settle();
    await tick();
    expect(room).toBe(true);
    expect(sender.full).toBe(false);
  });

  it('stops at a failed send and reports it to the caller, to flushed and to room', async () => {
    const producer = manualProducer();
    const failures: Error[] = [];
    const sender = new RecordSender({
      send: producer.send,
      onWritten: () => undefined,
      onFailed: (error) => failures.push(error),
    });
    sender.enqueue(records(0, 1));
    sender.enqueue(records(1, 1));
    producer.sends[0]!.settle(new Error('record too large'));
    await expect(sender.flushed()).rejects.toThrow('record too large');
    await expect(sender.room()).rejects.toThrow('record too large');
    expect(failures.map((e) => e.message)).toEqual(['record too large']);
    expect(producer.sends).toHaveLength(1);
  });
});
