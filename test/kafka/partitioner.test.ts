// Our default partitioner must put every key where Kafka's producers put it, or a topology would read
// a key on one partition and its table row on another. kafkajs' DefaultPartitioner (the Java client's
// murmur2 partitioning) is the oracle.
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../src/runtime/partitioner.ts';
import { random } from '../support/random.ts';

const partitioner = Partitioners.DefaultPartitioner();
const metadata = new Map<number, PartitionMetadata[]>();

function kafkajsPartition(key: Buffer, partitions: number): number {
  let partitionMetadata = metadata.get(partitions);
  if (!partitionMetadata) {
    partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    }));
    metadata.set(partitions, partitionMetadata);
  }
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('default partitioner', () => {
  it('matches kafkajs’ DefaultPartitioner for many random keys and partition counts', () => {
    const next = random(20_240_601);
    const counts = [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32, 50, 64, 100, 128, 1000];
    let checked = 0;
    for (let i = 0; i < 2000; i++) {
      // Every length from 0 to 40 bytes, so each tail case of murmur2 (0–3 leftover bytes) is hit often.
      const key = Buffer.alloc(Math.floor(next() * 41));
      for (let b = 0; b < key.length; b++) key[b] = Math.floor(next() * 256);
      for (const partitions of counts) {
        expect(partitionForKey(key, partitions), `key ${key.toString('hex')}, ${partitions} partitions`).toBe(
          kafkajsPartition(key, partitions),
        );
        checked++;
      }
    }
    expect(checked).toBe(2000 * counts.length);
  });

  it('matches for text keys, as the String serde writes them', () => {
    for (const text of ['', 'a', 'ab', 'abc', 'abcd', 'order-1', 'JUMPERS', 'émoji 😀', 'x'.repeat(1000)]) {
      const key = Buffer.from(text, 'utf8');
      for (const partitions of [1, 3, 7, 10])
        expect(partitionForKey(key, partitions)).toBe(kafkajsPartition(key, partitions));
    }
  });

  it('keeps the Java client’s signed 32-bit hashes (known values)', () => {
    // Values the Java client's Utils.murmur2 returns, as pinned in its own tests.
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([0x61, 0x62, 0x63]))).toBe(479470107);
  });
});
