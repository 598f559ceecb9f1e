import { describe, expect, it } from 'vitest';
import { Serdes, Stores, type KeyValueStore, type WindowStore } from 'tributary';
import { openStore } from '../../src/state/managed-store.ts';

// Typed stores remember the encoding of the last primitive key (operators read a key, then write
// it). These pin that the memory never confuses keys that are equal by `===` but not by bytes.
describe('typed stores remember the last key’s encoding safely', () => {
  it('0 and -0 are different double keys', async () => {
    const spec = Stores.keyValue({
      name: 'd',
      keySerde: Serdes.Double(),
      valueSerde: Serdes.String(),
      backend: 'memory',
    });
    const managed = await openStore(spec, { directory: undefined, now: () => 0 });
    const store = managed.store as KeyValueStore<number, string>;
    store.put(0, 'zero');
    store.put(-0, 'minus zero');
    expect(store.get(0)).toBe('zero');
    expect(store.get(-0)).toBe('minus zero');
    expect(store.approximateNumEntries()).toBe(2);
    await managed.close();
  });

  it('object keys are encoded every time, so a key changed in place is seen as the new key', async () => {
    const spec = Stores.keyValue({
      name: 'o',
      keySerde: Serdes.Json<{ id: number }>(),
      valueSerde: Serdes.String(),
      backend: 'memory',
    });
    const managed = await openStore(spec, { directory: undefined, now: () => 0 });
    const store = managed.store as KeyValueStore<{ id: number }, string>;
    const key = { id: 1 };
    store.put(key, 'one');
    key.id = 2;
    store.put(key, 'two');
    expect(store.get({ id: 1 })).toBe('one');
    expect(store.get({ id: 2 })).toBe('two');
    await managed.close();
  });

  it('null keys are still refused, also as the first key', async () => {
    const spec = Stores.window({
      name: 'w',
      keySerde: Serdes.String(),
      valueSerde: Serdes.String(),
      windowSizeMs: 10,
      retentionMs: 100,
      backend: 'memory',
    });
    const managed = await openStore(spec, { directory: undefined, now: () => 0 });
    const store = managed.store as WindowStore<string | null, string>;
    expect(() => store.put(null, 'x', 0)).toThrow('store "w": keys cannot be null');
    store.put('a', 'x', 0);
    store.put('b', 'y', 0);
    expect(store.fetch('a', 0)).toBe('x');
    expect(store.fetch('b', 0)).toBe('y');
    await managed.close();
  });
});
