import { describe, expect, it } from 'vitest';
import { Serdes, SerdeError } from 'tributary';
import { changeSerde } from '../../src/processor/ops/change-serde.ts';
import { bufferedChangeSerde } from '../../src/processor/ops/suppress-buffer.ts';

describe('change serde (table changes through a repartition topic)', () => {
  const serde = changeSerde(Serdes.String());

  it.each([
    { newValue: 'new', oldValue: 'old' },
    { newValue: 'new', oldValue: null },
    { newValue: null, oldValue: 'old' },
    { newValue: null, oldValue: null },
    { newValue: '', oldValue: '' },
    { newValue: '', oldValue: null },
    { newValue: null, oldValue: '' },
  ])('round-trips %o, keeping null apart from empty', (change) => {
    expect(serde.deserialize(serde.serialize(change))).toEqual(change);
  });

  it('rejects bytes that are not a change, saying where', () => {
    const context = { topic: 'x-repartition', part: 'value' as const };
    expect(() => serde.deserialize(new Uint8Array([]), context)).toThrow(SerdeError);
    expect(() => serde.deserialize(new Uint8Array([7]), context)).toThrow(/flag byte is 7/);
    expect(() => serde.deserialize(new Uint8Array([3, 0, 0, 0, 9, 1]), context)).toThrow(/x-repartition/);
  });
});

describe('suppression buffer entry serde', () => {
  it('round-trips values, nulls, timestamps and text and binary headers', () => {
    const serde = bufferedChangeSerde(Serdes.Long());
    const entry = {
      time: 1_700_000_000_000,
      prior: null,
      value: 42,
      timestamp: 1_700_000_000_123,
      headers: { trace: 'abc', raw: new Uint8Array([1, 2, 3]) },
    };
    expect(serde.deserialize(serde.serialize(entry))).toEqual(entry);
    const deleted = { ...entry, prior: 7, value: null, headers: {} };
    expect(serde.deserialize(serde.serialize(deleted))).toEqual(deleted);
  });
});
