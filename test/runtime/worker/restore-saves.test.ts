import { toOffset } from '../../../src/common/offset.ts';
/**
 * A long restore persists what it applied as it goes, so a store restored from a changelog larger than
 * memory never holds the whole changelog in its uncommitted writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, Stores } from '../../../src/index.ts';
import { silentLogger } from '../../../src/common/logger.ts';
import { savingStore } from '../../../src/runtime/changelog-target.ts';
import { RECORDS_PER_SAVE, Restorer } from '../../../src/runtime/worker/restorer.ts';
import type { KeyValueStore } from '../../../src/state/api.ts';
import { openStore } from '../../../src/state/managed-store.ts';
import { eventually } from '../../support/eventually.ts';
import { offsetKey, SteppedReader } from './stepped-reader.ts';

const changelog = { topic: 'app-counts-changelog', partition: 0 };
const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('restore saves', () => {
  it('saves the target every RECORDS_PER_SAVE records with the position reached, and not for a short tail', async () => {
    const size = 3 * RECORDS_PER_SAVE + 500;
    const reader = new SteppedReader(size);
    const restorer = new Restorer(reader, silentLogger);
    await restorer.start();
    const saves: bigint[] = [];
    const restored = restorer.restore(changelog, toOffset(0n), toOffset(size), {
      apply: () => undefined,
      save: (position) => saves.push(position),
    });
    for (let delivered = 0; delivered < size; delivered += 2_500)
      reader.deliver(Math.min(2_500, size - delivered));
    expect(await restored).toBe(size);
    expect(saves).toEqual([1n, 2n, 3n].map((n) => n * BigInt(RECORDS_PER_SAVE)));
    await restorer.stop();
  });

  it('saves as often as the target asks: every recordsPerSave records, and when it says a save is due', async () => {
    const size = 10_000;
    const reader = new SteppedReader(size);
    const restorer = new Restorer(reader, silentLogger);
    await restorer.start();
    const saves: bigint[] = [];
    let applied = 0;
    const restored = restorer.restore(changelog, toOffset(0n), toOffset(size), {
      apply: (records) => (applied += records.length),
      save: (position) => saves.push(position),
      recordsPerSave: 4_000,
      // Due once past offset 9,000 (as if those records held many bytes): a save at the next slice.
      saveDue: () => applied >= 9_000 && saves.at(-1)! < 9_000n,
    });
    for (let delivered = 0; delivered < size; delivered += 500) reader.deliver(500);
    expect(await restored).toBe(size);
    expect(saves).toEqual([4_000n, 8_000n, 9_000n]);
    await restorer.stop();
  });

  it('commits a LevelDB store along the way, and the store holds every record after the restore', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tributary-restore-'));
    directories.push(directory);
    const spec = Stores.keyValue({ name: 'counts', keySerde: Serdes.Bytes(), valueSerde: Serdes.Bytes() });
    const store = await openStore(spec, { directory, now: () => 0 });
    const size = 2 * RECORDS_PER_SAVE + 1_000;
    const reader = new SteppedReader(size);
    const restorer = new Restorer(reader, silentLogger);
    await restorer.start();
    const restored = restorer.restore(changelog, toOffset(0n), toOffset(size), {
      apply: (records) => store.restore(records),
      save: savingStore(store),
    });
    for (let delivered = 0; delivered < size; delivered += 5_000)
      reader.deliver(Math.min(5_000, size - delivered));
    expect(await restored).toBe(size);
    // Saved before the restore's own final commit: the checkpoint of the last full RECORDS_PER_SAVE.
    await eventually(async () => expect(store.checkpoint).toBe(toOffset(2 * RECORDS_PER_SAVE)), {
      timeoutMs: 10_000,
    });
    await store.commit(toOffset(size));
    await store.close();
    await restorer.stop();

    const reopened = await openStore(spec, { directory, now: () => 0 });
    expect(reopened.checkpoint).toBe(toOffset(size));
    const kv = reopened.store as KeyValueStore<Uint8Array, Uint8Array>;
    expect([...kv.all()].length).toBe(size);
    expect([...kv.get(offsetKey(size - 1))!]).toEqual([1]);
    await reopened.close();
  });
});
