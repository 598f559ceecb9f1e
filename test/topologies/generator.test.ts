import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Serde } from 'tributary';
import { generateRecording, recordingLines } from '../../scripts/orders/recording.ts';
import { topics, type Order, type Payment } from '../../schemas/topics.ts';

const run = promisify(execFile);
const jsonl = (options: Parameters<typeof generateRecording>[0]) =>
  [...recordingLines(generateRecording(options).records)].join('');

describe('the orders recording generator', () => {
  it('gives the same bytes for the same options, and other bytes for another seed', () => {
    const a = jsonl({ orders: 500, seed: 7 });
    expect(jsonl({ orders: 500, seed: 7 })).toBe(a);
    expect(jsonl({ orders: 500, seed: 8 })).not.toBe(a);
    expect(jsonl({ orders: 500, seed: 7, customers: 30 })).not.toBe(a);
  });

  it('makes the orders, customers, stock and payments it counts, in timestamp order', () => {
    const { records, counts } = generateRecording({ orders: 2000, seed: 1 });
    const byTopic = (topic: string) => records.filter((r) => r.topic === topic);
    expect(counts.orders).toBe(2000);
    expect(counts.customers).toBe(200);
    expect(byTopic('customers')).toHaveLength(200);
    expect(byTopic('orders')).toHaveLength(2000 + counts.duplicateOrders);
    expect(new Set(byTopic('orders').map((r) => r.key)).size).toBe(2000);
    expect(byTopic('payments')).toHaveLength(counts.payments);
    expect(byTopic('warehouse-inventory')).toHaveLength(counts.stockUpdates);
    expect(
      counts.paidInFull + counts.paidShort + counts.paidBeforeValidation + counts.paidTooLate + counts.unpaid,
    ).toBe(2000);
    expect(counts.payments).toBe(2000 - counts.unpaid + counts.secondPayments);
    // Mostly paid in full, with some of every other case.
    expect(counts.paidInFull / 2000).toBeGreaterThan(0.75);
    for (const key of [
      'paidShort',
      'paidBeforeValidation',
      'paidTooLate',
      'unpaid',
      'secondPayments',
      'badDetails',
    ] as const)
      expect(counts[key], key).toBeGreaterThan(0);
    const times = records.map((r) => r.timestamp);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // Orders interleave across customers and products.
    const orders = byTopic('orders').map((r) => r.value as Order);
    expect(new Set(orders.slice(0, 50).map((o) => o.customerId)).size).toBeGreaterThan(20);
    expect(new Set(orders.slice(0, 10).map((o) => o.product)).size).toBeGreaterThan(1);
  });

  it("writes records that fit the topics' schemas, keyed as the topics are", () => {
    const { records } = generateRecording({ orders: 3000, seed: 5 });
    const definitions = Object.values(topics);
    for (const record of records) {
      const topic = definitions.find((t) => t.name === record.topic)!;
      expect(topic, record.topic).toBeDefined();
      const serde = topic.valueSerde as Serde<unknown>;
      // fromJson validates against the Avro schema (naming the field that does not fit) and fills defaults.
      const value = serde.fromJson!(record.value);
      expect(value).toMatchObject(record.value as object);
      expect(serde.deserialize(serde.serialize(value))).toEqual(value);
      (topic.keySerde as Serde<unknown>).serialize(record.key);
      if (record.topic === 'orders') expect(record.key).toBe((record.value as Order).id);
      if (record.topic === 'payments') expect(record.key).toBe((record.value as Payment).id);
    }
  });

  it('runs as `npm run generate`: the command writes the same bytes as the module', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--conditions=tributary-source', 'scripts/orders/generate.ts', '--orders', '200', '--seed', '3'],
      { cwd: new URL('../../', import.meta.url), maxBuffer: 64 * 1024 * 1024 },
    );
    expect(stdout).toBe(jsonl({ orders: 200, seed: 3 }));
    expect(stderr).toMatch(/^generated \d+ records: \{"orders":200,/);
  });
});
