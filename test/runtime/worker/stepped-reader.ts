import type { PartitionReaderPort, RecordBatch, TopicPartitionOffset } from '../../../src/kafka/port.ts';
import { toOffset } from '../../../src/common/offset.ts';

/** A changelog partition of `size` records, handed over a batch at a time when the test says so. */
export class SteppedReader implements PartitionReaderPort {
  private onBatch: ((batch: RecordBatch) => unknown) | undefined;
  private position: TopicPartitionOffset | undefined;
  private readonly size: number;
  constructor(size: number) {
    this.size = size;
  }
  async start(onBatch: (batch: RecordBatch) => unknown): Promise<void> {
    this.onBatch = onBatch;
  }
  async assign(position: TopicPartitionOffset): Promise<void> {
    this.position = position;
  }
  async unassign(): Promise<void> {
    this.position = undefined;
  }
  async stop(): Promise<void> {}
  /** Moves the next record handed over to `offset` (a fetch starting before the position asked for). */
  rewind(offset: number): void {
    this.position = { ...this.position!, offset: toOffset(offset) };
  }
  /** Hands over the next `count` records; returns what the receiver returned (a promise to wait for). */
  deliver(count: number): unknown {
    const { topic, partition, offset } = this.position!;
    const from = Number(offset);
    const records = Array.from({ length: count }, (_, i) => ({
      topic,
      partition,
      offset: toOffset(from + i),
      key: offsetKey(from + i),
      value: new Uint8Array([1]),
      timestamp: 0,
      headers: {},
    }));
    this.position = { topic, partition, offset: toOffset(from + count) };
    return this.onBatch!({
      topic,
      partition,
      records,
      nextOffset: toOffset(from + count),
      highWatermark: toOffset(this.size),
    });
  }
}

/** A distinct key per offset: its four bytes, big-endian. */
export function offsetKey(offset: number): Uint8Array {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, offset);
  return key;
}
