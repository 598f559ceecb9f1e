import { toOffset } from '../../../src/common/offset.ts';
/**
 * A large fetched batch of changelog records is applied a slice at a time, so that applying it never
 * holds the event loop for long, and in order, with the position and saves as for whole batches.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/common/logger.ts';
import { RECORDS_PER_SAVE, Restorer } from '../../../src/runtime/worker/restorer.ts';
import type { ChangelogRecord } from '../../../src/state/bytes.ts';
import { SteppedReader } from './stepped-reader.ts';

const changelog = { topic: 'app-counts-changelog', partition: 0 };
const offsetOf = (record: ChangelogRecord) => new DataView(record.key.buffer).getUint32(0);

describe('restore slices', () => {
  it('applies a large batch in slices of a few hundred records, in offset order, saving as it goes', async () => {
    const size = 2 * RECORDS_PER_SAVE + 3_000;
    const reader = new SteppedReader(size);
    const restorer = new Restorer(reader, silentLogger);
    await restorer.start();
    const slices: number[] = [];
    const applied: number[] = [];
    const saves: bigint[] = [];
    const restored = restorer.restore(changelog, toOffset(0n), toOffset(size), {
      apply: (records) => {
        slices.push(records.length);
        for (const record of records) applied.push(offsetOf(record));
      },
      save: (position) => saves.push(position),
    });
    // One fetch holding the whole changelog.
    reader.deliver(size);
    expect(await restored).toBe(size);
    expect(Math.max(...slices)).toBeLessThanOrEqual(250);
    expect(applied).toEqual(Array.from({ length: size }, (_, i) => i));
    // Saved at the first slice end past each RECORDS_PER_SAVE, with the next offset to apply.
    expect(saves).toEqual([BigInt(RECORDS_PER_SAVE), BigInt(2 * RECORDS_PER_SAVE)]);
    await restorer.stop();
  });

  it('tells the reader to wait while the batch before is still being applied', async () => {
    const reader = new SteppedReader(6_000);
    const restorer = new Restorer(reader, silentLogger);
    await restorer.start();
    let applied = 0;
    const restored = restorer.restore(changelog, toOffset(0n), toOffset(6_000n), {
      apply: (records) => void (applied += records.length),
    });
    // Delivered outside any turn of the scheduler, a batch applies one slice at once and the rest later.
    expect(reader.deliver(5_000)).toBeUndefined();
    expect(applied).toBeLessThan(5_000);
    const wait = reader.deliver(1_000);
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(applied).toBeGreaterThanOrEqual(5_000);
    expect(await restored).toBe(6_000);
    await restorer.stop();
  });

  it('applies only the offsets from its start to its end when a batch reaches beyond both', async () => {
    const reader = new SteppedReader(1_000);
    const restorer = new Restorer(reader, silentLogger);
    await restorer.start();
    const applied: number[] = [];
    const restored = restorer.restore(changelog, toOffset(100n), toOffset(900n), {
      apply: (records) => void applied.push(...records.map(offsetOf)),
    });
    // The reader hands over the partition from offset 0: the fetch started before the position.
    reader.rewind(0);
    reader.deliver(1_000);
    expect(await restored).toBe(800);
    expect(applied).toEqual(Array.from({ length: 800 }, (_, i) => 100 + i));
    await restorer.stop();
  });
});
