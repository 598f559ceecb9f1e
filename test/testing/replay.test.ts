import { describe, expect, it } from 'vitest';
import {
  AvroSchemas,
  Serdes,
  defineApp,
  defineTopic,
  type Processor,
  type ProcessorContext,
} from 'tributary';
import { ReplayInputError, compareWithGolden, parseRecording, replay, toJsonl } from 'tributary/testing';
import { partitionForKey } from '../../src/runtime/partitioner.ts';

interface Order {
  readonly id: string;
  readonly quantity: number;
}

const orders = defineTopic('orders', Serdes.String(), Serdes.Json<Order>());
const counts = defineTopic('counts', Serdes.String(), Serdes.Long());

/** App A: orders → "accepted" (stream) and a running count per product through a repartition. */
const ordersApp = defineApp({
  applicationId: 'orders-app',
  topology: (builder) => {
    const accepted = builder.stream(orders).filter((_k, o) => o.quantity > 0);
    accepted.to('accepted');
    accepted
      .selectKey((_k, o) => o.id.slice(0, 1))
      .mapValues((o) => o.quantity)
      .toTable({ storeName: 'latest-quantity', valueSerde: Serdes.Int() })
      .toStream()
      .to('latest', { keySerde: Serdes.String(), valueSerde: Serdes.Int() });
  },
});

/** App B: reads what A writes and counts records per key with the Processor API. */
const countingApp = defineApp({
  applicationId: 'counting-app',
  topics: [counts],
  topology: (builder) => {
    builder
      .stream<string, number>('latest', { keySerde: Serdes.String(), valueSerde: Serdes.Int() })
      .process(
        (): Processor<string, number, string, number> => {
          const seen = new Map<string, number>();
          let context: ProcessorContext<string, number>;
          return {
            init: (c) => void (context = c),
            process: (record) => {
              const n = (seen.get(record.key) ?? 0) + 1;
              seen.set(record.key, n);
              context.forward({ ...record, value: n });
            },
          };
        },
        { name: 'counter' },
      )
      .to(counts);
  },
});

const line = (r: object) => JSON.stringify(r);

describe('replay', () => {
  it('feeds records in file order and what one app writes to the apps reading it, before the next record', async () => {
    const input = [
      line({ topic: 'orders', key: 'o1', value: { id: 'a1', quantity: 2 }, timestamp: 1000 }),
      line({ topic: 'orders', key: 'o2', value: { id: 'b1', quantity: 0 }, timestamp: 2000 }),
      '',
      line({ topic: 'orders', key: 'o3', value: { id: 'a2', quantity: 5 }, timestamp: 3000 }),
    ].join('\n');
    const result = await replay({ apps: [ordersApp, countingApp], input });
    expect(result.records).toEqual([
      { topic: 'accepted', partition: 0, key: 'o1', value: { id: 'a1', quantity: 2 }, timestamp: 1000 },
      { topic: 'latest', partition: 0, key: 'a', value: 2, timestamp: 1000 },
      { topic: 'counts', partition: 0, key: 'a', value: 1, timestamp: 1000 },
      { topic: 'accepted', partition: 0, key: 'o3', value: { id: 'a2', quantity: 5 }, timestamp: 3000 },
      { topic: 'latest', partition: 0, key: 'a', value: 5, timestamp: 3000 },
      { topic: 'counts', partition: 0, key: 'a', value: 2, timestamp: 3000 },
    ]);
    // Internal topics (the repartition before the table, the table's changelog) are not output.
    expect(result.toJsonl().split('\n')[0]).toBe(
      '{"topic":"accepted","partition":0,"key":"o1","value":{"id":"a1","quantity":2},"timestamp":1000}',
    );
    expect(result.toJsonl()).not.toMatch(/repartition|changelog/);
  });

  it('partitions by key like Kafka, honours pinned partitions, and spreads null keys', async () => {
    // Echoes the partition each input record was read from.
    const echo = defineApp({
      applicationId: 'echo',
      topology: (builder) => {
        builder
          .stream(orders)
          .process((): Processor<string, Order, string, number> => {
            let context: ProcessorContext<string, number>;
            return {
              init: (c) => void (context = c),
              process: (record) => context.forward({ ...record, value: context.recordMetadata()!.partition }),
            };
          })
          .to('seen', { keySerde: Serdes.String(), valueSerde: Serdes.Int() });
      },
    });
    const input = [
      { topic: 'orders', key: 'o1', value: { id: 'a1', quantity: 1 }, timestamp: 1 },
      { topic: 'orders', key: 'o1', value: { id: 'a1', quantity: 1 }, timestamp: 2, partition: 3 },
      { topic: 'orders', key: null, value: { id: 'n1', quantity: 1 }, timestamp: 3 },
      { topic: 'orders', value: { id: 'n2', quantity: 1 }, timestamp: 4 },
      { topic: 'orders', key: 'o2', value: { id: 'a2', quantity: 1 }, timestamp: 5 },
    ];
    const result = await replay({ apps: [echo], input, partitions: 4, topicPartitions: { seen: 1 } });
    const byKey = (key: string) => partitionForKey(new TextEncoder().encode(key), 4);
    expect(result.records.map((r) => r.value)).toEqual([byKey('o1'), 3, 0, 1, byKey('o2')]);
    expect(result.records.every((r) => r.partition === 0)).toBe(true);
    expect(byKey('o1')).not.toBe(byKey('o2'));
  });

  it('turns the JSON form into bytes with the topic serdes, Avro records included', async () => {
    const schemas = AvroSchemas.fromSchemas([
      {
        source: 'payment.avsc',
        schema: {
          type: 'record',
          name: 'Payment',
          fields: [
            { name: 'id', type: 'string' },
            { name: 'amount', type: 'double' },
            { name: 'ccy', type: 'string', default: 'EUR' },
          ],
        },
      },
    ]);
    const payments = defineTopic(
      'payments',
      Serdes.Long(),
      schemas.serde<{ id: string; amount: number }>('Payment'),
    );
    const app = defineApp({
      applicationId: 'payments-app',
      topics: [payments],
      topology: (builder) => {
        builder
          .stream(payments)
          .mapValues((p) => ({ ...p, amount: p.amount * 2 }))
          .to('doubled', { keySerde: Serdes.Long(), valueSerde: payments.valueSerde });
      },
    });
    const result = await replay({
      apps: [app],
      input: [{ topic: 'payments', key: 7, value: { id: 'p1', amount: 10.5 }, timestamp: 5 }],
    });
    expect(result.records).toEqual([
      { topic: 'doubled', partition: 0, key: 7, value: { id: 'p1', amount: 21, ccy: 'EUR' }, timestamp: 5 },
    ]);
    await expect(
      replay({
        apps: [app],
        input: `${line({ topic: 'payments', key: 7, value: { id: 'p1', amount: 'lots' }, timestamp: 5 })}\n`,
        inputSource: 'payments.jsonl',
      }),
    ).rejects.toThrow(
      'payments.jsonl:1: field "value": cannot be written with the avro:Payment serde of topic "payments": value does not match Avro type Payment (value of topic "payments"): amount: expected double, got "lots"',
    );
  });

  it('reads topics chosen per record with the serdes of the sinks choosing them', async () => {
    const router = defineApp({
      applicationId: 'router',
      topology: (builder) => {
        builder
          .stream(orders)
          .mapValues((o) => o.quantity)
          .to((_k, q) => (q > 1 ? 'many' : 'one'), { keySerde: Serdes.String(), valueSerde: Serdes.Int() });
      },
    });
    const result = await replay({
      apps: [router],
      input: [
        { topic: 'orders', key: 'a', value: { id: 'a', quantity: 1 }, timestamp: 1 },
        { topic: 'orders', key: 'b', value: { id: 'b', quantity: 7 }, timestamp: 2 },
      ],
    });
    expect(result.records.map(({ topic, key, value }) => ({ topic, key, value }))).toEqual([
      { topic: 'one', key: 'a', value: 1 },
      { topic: 'many', key: 'b', value: 7 },
    ]);
  });

  it('names the file, line and field of bad input', async () => {
    const attempt = (text: string) => replay({ apps: [ordersApp], input: text, inputSource: 'rec.jsonl' });
    const good = line({ topic: 'orders', key: 'o1', value: { id: 'a', quantity: 1 }, timestamp: 1 });
    await expect(attempt(`${good}\n\n{"topic": "orders",`)).rejects.toThrow(/^rec\.jsonl:3: not valid JSON/);
    await expect(
      attempt(`${good}\n${line({ topic: 'orders', key: 'o1', value: {}, timestamp: 'soon' })}`),
    ).rejects.toThrow(
      'rec.jsonl:2: field "timestamp": must be milliseconds since the epoch (a non-negative integer), got "soon"',
    );
    await expect(attempt(line({ topic: 'orders', key: 'o1', timestamp: 1 }))).rejects.toThrow(
      'rec.jsonl:1: field "value": is missing (use null for a tombstone)',
    );
    await expect(
      attempt(line({ topic: 'orders', key: 'o1', value: null, timestamp: 1, offset: 3 })),
    ).rejects.toThrow('rec.jsonl:1: field "offset": unknown field');
    await expect(attempt(line({ topic: 'nowhere', key: 'o1', value: null, timestamp: 1 }))).rejects.toThrow(
      'rec.jsonl:1: field "topic": no application reads or writes topic "nowhere", so its serdes are unknown',
    );
    await expect(attempt(line({ topic: 'orders', key: 5, value: null, timestamp: 1 }))).rejects.toThrow(
      /^rec\.jsonl:1: field "key": cannot be written with the string serde of topic "orders": expected a string, got 5/,
    );
    await expect(
      attempt(line({ topic: 'orders', key: 'k', value: null, timestamp: 1, partition: 2 })),
    ).rejects.toThrow(
      'rec.jsonl:1: field "partition": topic "orders" has 1 partition; there is no partition 2',
    );
    const error = await attempt(`${good}\n{"topic":""}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayInputError);
    expect(error).toMatchObject({ source: 'rec.jsonl', line: 2, field: 'topic' });
  });

  it('names the input line when a topology fails on it', async () => {
    const failing = defineApp({
      applicationId: 'failing',
      topology: (builder) => {
        builder
          .stream(orders)
          .mapValues((o) => {
            if (o.quantity > 3) throw new Error('too many');
            return o;
          })
          .to('ok');
      },
    });
    const input = [
      line({ topic: 'orders', key: 'a', value: { id: 'a', quantity: 1 }, timestamp: 1 }),
      line({ topic: 'orders', key: 'b', value: { id: 'b', quantity: 9 }, timestamp: 2 }),
    ].join('\n');
    await expect(replay({ apps: [failing], input, inputSource: 'rec.jsonl' })).rejects.toThrow(
      /^while replaying rec\.jsonl:2 \(topic "orders"\): .*too many/,
    );
  });

  it('refuses two applications with the same id', async () => {
    await expect(replay({ apps: [ordersApp, ordersApp], input: '' })).rejects.toThrow(
      'two applications have the id "orders-app"',
    );
  });
});

describe('compareWithGolden', () => {
  const records = [
    { topic: 't', partition: 0, key: 'a', value: { n: 1 }, timestamp: 1 },
    { topic: 't', partition: 0, key: 'b', value: { n: 2 }, timestamp: 2 },
  ];

  it('matches regardless of field order and spacing', () => {
    const golden =
      '{"key":"a","topic":"t","partition":0,"value":{"n":1},"timestamp":1}\n\n' + toJsonl(records.slice(1));
    const comparison = compareWithGolden(records, golden, 'golden.jsonl');
    expect(comparison.matches).toBe(true);
    expect(comparison.report).toBe('output matches golden.jsonl (2 records)\n');
  });

  it('reports the first differing record with its golden line, both versions, the fields and the counts', () => {
    const golden = toJsonl([records[0]!, { ...records[1]!, value: { n: 3 } }, records[1]!]);
    const comparison = compareWithGolden(records, golden, 'golden.jsonl');
    expect(comparison).toMatchObject({
      matches: false,
      expectedCount: 3,
      actualCount: 2,
      firstDifference: 2,
    });
    expect(comparison.report).toBe(
      'output does not match golden.jsonl: expected 3 records, got 2\n' +
        'first difference at record 2 (golden.jsonl line 2):\n' +
        '  expected: {"topic":"t","partition":0,"key":"b","value":{"n":3},"timestamp":2}\n' +
        '  actual:   {"topic":"t","partition":0,"key":"b","value":{"n":2},"timestamp":2}\n' +
        '  differs in: value.n\n',
    );
    const short = compareWithGolden([...records, records[0]!], toJsonl(records), 'g');
    expect(short.report).toContain(
      'first difference at record 3 (past the end of g):\n  expected: (no more records)',
    );
  });

  it('parses recordings and reports bad golden lines with their number', () => {
    expect(parseRecording('{"topic":"t","value":1,"timestamp":0}\n', 'r')).toEqual([
      { topic: 't', key: null, value: 1, timestamp: 0, source: 'r', line: 1 },
    ]);
    expect(() => compareWithGolden(records, '{"topic":"t"}\nnot json\n', 'g.jsonl')).toThrow(
      /^g\.jsonl:2: not valid JSON/,
    );
  });
});
