import { toOffset } from '../../src/common/offset.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Serdes, Stores, type SessionStore, type StoreBackend, type WindowStore } from 'tributary';
import { openStore } from '../../src/state/managed-store.ts';
import { backends } from './harness.ts';

const directory = mkdtempSync(join(tmpdir(), 'tributary-managed-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe.each(backends)('openStore (%s)', (backend: StoreBackend) => {
  const common = { keySerde: Serdes.String(), valueSerde: Serdes.String(), backend };

  it('opens window stores', async () => {
    const spec = Stores.window({ ...common, name: `w-${backend}`, windowSizeMs: 5, retentionMs: 100 });
    const managed = await openStore(spec, { directory, now: () => 3 });
    const store = managed.store as WindowStore<string, string>;
    store.put('k', 'v', 10);
    expect(store.fetch('k', 10)).toBe('v');
    expect(store.windowSizeMs).toBe(5);
    expect(managed.drainChangelog()).toHaveLength(1);
    await managed.commit(toOffset(1));
    await managed.close();
  });

  it('opens session stores', async () => {
    const spec = Stores.session({ ...common, name: `s-${backend}`, retentionMs: 100 });
    const managed = await openStore(spec, { directory, now: () => 3 });
    const store = managed.store as SessionStore<string, string>;
    store.put({ key: 'k', window: { start: 1, end: 2 } }, 'v');
    expect(store.fetchSession('k', 1, 2)).toBe('v');
    await managed.commit(toOffset(1));
    await managed.close();
  });
});

describe('openStore', () => {
  it('needs a state directory for LevelDB stores', async () => {
    const spec = Stores.keyValue({ name: 'kv', keySerde: Serdes.String(), valueSerde: Serdes.String() });
    await expect(openStore(spec, { directory: undefined, now: () => 0 })).rejects.toThrow(
      /no state directory/,
    );
  });

  it('refuses window and session changelog keys too short to hold the window', async () => {
    const common = { keySerde: Serdes.String(), valueSerde: Serdes.String(), backend: 'memory' as const };
    const specs = [
      Stores.window({ ...common, name: 'w', windowSizeMs: 5, retentionMs: 100 }),
      Stores.session({ ...common, name: 's', retentionMs: 100 }),
    ];
    for (const spec of specs) {
      const managed = await openStore(spec, { directory: undefined, now: () => 0 });
      const record = { key: new Uint8Array(11), value: null, timestamp: 0 };
      expect(() => managed.restore([record])).toThrow(
        `store "${spec.name}": changelog key of 11 bytes is too short for a ${spec.kind} key`,
      );
      await managed.close();
    }
  });
});
