import { toOffset } from '../../../src/common/offset.ts';
/** A long store restore logs its progress now and then: records restored and left, the rate, the time left. */
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/common/logger.ts';
import { Restorer } from '../../../src/runtime/worker/restorer.ts';
import { eventually } from '../../support/eventually.ts';
import { SteppedReader } from './stepped-reader.ts';

describe('restore progress', () => {
  it('logs how far a long restore is while it runs, and nothing once it is done', async () => {
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (fields, message) => lines.push({ fields, message }),
      warn: () => undefined,
      error: () => undefined,
    };
    const reader = new SteppedReader(10_000);
    const restorer = new Restorer(reader, logger, { progressIntervalMs: 20 });
    await restorer.start();
    const applied: number[] = [];
    const restored = restorer.restore(
      { topic: 'app-store-changelog', partition: 0 },
      toOffset(0n),
      toOffset(10_000n),
      {
        apply: (records) => applied.push(records.length),
      },
    );
    reader.deliver(2_500);
    // A batch is applied in slices, over several turns of the event loop: the line after the last one.
    const sum = () => applied.reduce((a, b) => a + b, 0);
    await eventually(async () => expect(sum()).toBe(2_500), { timeoutMs: 5_000 });
    const before = lines.length;
    await eventually(async () => expect(lines.length).toBeGreaterThan(before), { timeoutMs: 5_000 });
    expect(lines.at(-1)!.fields).toMatchObject({ partitions: 1, restored: 2_500, remaining: 7_500 });
    expect(lines.at(-1)!.message).toMatch(
      /^restoring stores from 1 changelog partition: 2,500 of 10,000 changelog records \(25%\), [\d,]+\/s, about .+ left$/,
    );
    reader.deliver(7_500);
    expect(await restored).toBe(10_000);
    const count = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines.length).toBe(count);
    await restorer.stop();
  });
});
