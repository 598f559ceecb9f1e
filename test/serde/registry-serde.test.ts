import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { avroTypeOf } from '../../src/serde/avro.ts';
import type { SchemaRegistryClient } from '../../src/serde/registry.ts';
import { registryAvroSerde, subjectName } from '../../src/serde/registry-serde.ts';

const v1 = avro.Type.forSchema({
  type: 'record',
  name: 'Order',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'quantity', type: 'int' },
  ],
});
const v2 = avro.Type.forSchema({
  type: 'record',
  name: 'Order',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'note', type: 'string', default: 'none' },
  ],
});

/** A registry that knows some ids and "fetches" others on request, counting fetches. */
function fakeRegistry(known: Record<number, avro.Type>, remote: Record<number, avro.Type> = {}) {
  const writers = new Map<number, avro.Type>(Object.entries(known).map(([id, t]) => [Number(id), t]));
  const fetched: number[] = [];
  const registry = {
    writer: (id: number) => writers.get(id),
    fetchFailure: (id: number) =>
      remote[id] || writers.has(id) ? undefined : new Error(`404 schema ${id} not found`),
    fetchWriter: async (id: number) => {
      fetched.push(id);
      if (remote[id]) writers.set(id, remote[id]);
    },
  } as unknown as SchemaRegistryClient;
  return { registry, fetched };
}

const frame = (id: number, payload: Uint8Array) => {
  const bytes = new Uint8Array(5 + payload.length);
  new DataView(bytes.buffer).setUint32(1, id);
  bytes.set(payload, 5);
  return bytes;
};

describe('the schema registry wire format', () => {
  const plain = Serdes.Avro<{ id: string; quantity: number }>(v1);
  const context = { topic: 'orders', part: 'value' as const };

  it('frames with magic byte 0 and the id registered for the topic, and reads its own frames', () => {
    const { registry } = fakeRegistry({});
    const serde = registryAvroSerde({
      plain,
      type: v1,
      registry,
      ids: new Map([[subjectName('orders', 'value'), 42]]),
    });
    const bytes = serde.serialize({ id: 'o1', quantity: 2 }, context);
    expect([...bytes.subarray(0, 5)]).toEqual([0, 0, 0, 0, 42]);
    expect(Buffer.from(bytes.subarray(5))).toEqual(v1.toBuffer({ id: 'o1', quantity: 2 }));
    expect(serde.prepare!(bytes, context)).toBeUndefined();
    expect(serde.deserialize(bytes, context)).toEqual({ id: 'o1', quantity: 2 });
    expect(serde.name).toBe(plain.name);
    expect(avroTypeOf(plain)).toBe(v1);
  });

  it('refuses to encode for a topic whose subject was not registered, naming it', () => {
    const serde = registryAvroSerde({ plain, type: v1, registry: fakeRegistry({}).registry, ids: new Map() });
    expect(() => serde.serialize({ id: 'o1', quantity: 2 }, { topic: 'other', part: 'value' })).toThrow(
      /no schema registered for subject "other-value"/,
    );
  });

  it('uses the fallback id for topics chosen per record', () => {
    const serde = registryAvroSerde({
      plain,
      type: v1,
      registry: fakeRegistry({}).registry,
      ids: new Map(),
      fallbackId: 7,
    });
    expect(serde.serialize({ id: 'o1', quantity: 2 }, { topic: 'any', part: 'value' })[4]).toBe(7);
  });

  it('fetches an unknown writer schema in prepare, once, then resolves it into its own schema', async () => {
    const { registry, fetched } = fakeRegistry({}, { 9: v2 });
    const serde = registryAvroSerde({ plain, type: v1, registry, ids: new Map([['orders-value', 1]]) });
    const written = frame(9, v2.toBuffer({ id: 'o2', quantity: 5, note: 'fragile' }));
    expect(() => serde.deserialize(written, context)).toThrow(/schema id 9 .* is unknown here/);
    await serde.prepare!(written, context);
    expect(fetched).toEqual([9]);
    expect(serde.prepare!(written, context)).toBeUndefined();
    // The newer writer's extra field is dropped, as Avro's schema resolution says.
    expect(serde.deserialize(written, context)).toEqual({ id: 'o2', quantity: 5 });
  });

  it('fills defaults when an older writer is read with a newer schema', () => {
    const { registry } = fakeRegistry({ 3: v1 });
    const serde = registryAvroSerde({
      plain: Serdes.Avro(v2),
      type: v2,
      registry,
      ids: new Map([['orders-value', 4]]),
    });
    expect(serde.deserialize(frame(3, v1.toBuffer({ id: 'o3', quantity: 1 })), context)).toEqual({
      id: 'o3',
      quantity: 1,
      note: 'none',
    });
  });

  it('explains bytes that are not framed, writers it cannot fetch, and writers it cannot resolve', async () => {
    const incompatible = avro.Type.forSchema({
      type: 'record',
      name: 'Order',
      namespace: 'test',
      fields: [{ name: 'id', type: 'int' }],
    });
    const { registry } = fakeRegistry({ 5: incompatible });
    const serde = registryAvroSerde({ plain, type: v1, registry, ids: new Map([['orders-value', 1]]) });
    expect(() => serde.deserialize(v1.toBuffer({ id: 'x', quantity: 1 }), context)).toThrow(
      /not in the schema registry wire format \(value of topic "orders"\): expected magic byte 0/,
    );
    expect(serde.prepare!(new Uint8Array([1, 2]), context)).toBeUndefined();
    await serde.prepare!(frame(77, new Uint8Array([1])), context);
    expect(() => serde.deserialize(frame(77, new Uint8Array([1])), context)).toThrow(
      /schema id 77 .*404 schema 77 not found/,
    );
    expect(() => serde.deserialize(frame(5, incompatible.toBuffer({ id: 1 })), context)).toThrow(
      /written with schema id 5 \(test.Order\) .* cannot be read as test.Order/,
    );
  });
});
