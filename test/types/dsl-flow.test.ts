/**
 * Type-level tests of the public DSL: key and value types flow through every operation, and the
 * common mistakes do not compile. They are checked by `npm run typecheck` (tsconfig.json includes
 * test/); at run time `expectTypeOf` does nothing, so the one runtime test only builds the topology.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  GlobalKTable,
  KGroupedStream,
  KGroupedTable,
  KStream,
  KTable,
  SessionWindowedKStream,
  TopicDefinition,
  TimeWindowedKStream,
} from 'tributary';
import {
  JoinWindows,
  Serdes,
  SessionWindows,
  SlidingWindows,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  defineApp,
  defineTopic,
  keyValue,
  type KeyValue,
  type Windowed,
} from 'tributary';

interface Order {
  readonly id: string;
  readonly customerId: number;
  readonly quantity: number;
}
interface Customer {
  readonly name: string;
  readonly level: 'gold' | 'silver';
}
interface Payment {
  readonly amount: number;
}

const topics = {
  orders: defineTopic('orders', Serdes.String(), Serdes.Json<Order>()),
  customers: defineTopic('customers', Serdes.Long(), Serdes.Json<Customer>()),
  payments: defineTopic('payments', Serdes.String(), Serdes.Json<Payment>()),
  counts: defineTopic('counts', Serdes.String(), Serdes.Long()),
};

/** Declared, never run: each body only has to type-check. */
function typeOnly(_body: () => void): void {}

describe('DSL types', () => {
  it('sources take their key and value types from the topic definition or the serdes', () => {
    typeOnly(() => {
      const builder = new StreamsBuilder();
      expectTypeOf(builder.stream(topics.orders)).toEqualTypeOf<KStream<string, Order>>();
      expectTypeOf(builder.table(topics.customers)).toEqualTypeOf<KTable<number, Customer>>();
      expectTypeOf(builder.globalTable(topics.customers)).toEqualTypeOf<GlobalKTable<number, Customer>>();
      expectTypeOf(
        builder.stream('words', { keySerde: Serdes.String(), valueSerde: Serdes.Int() }),
      ).toEqualTypeOf<KStream<string, number>>();
    });
  });

  it('map, mapValues, flatMap, flatMapValues and selectKey carry the mapped types', () => {
    typeOnly(() => {
      const orders = new StreamsBuilder().stream(topics.orders);
      expectTypeOf(orders.filter((id, order) => id.length > 0 && order.quantity > 0)).toEqualTypeOf<
        KStream<string, Order>
      >();
      expectTypeOf(orders.map((id, order) => keyValue(order.customerId, id))).toEqualTypeOf<
        KStream<number, string>
      >();
      expectTypeOf(orders.mapValues((order, id) => `${id}:${order.quantity}`)).toEqualTypeOf<
        KStream<string, string>
      >();
      expectTypeOf(
        orders.flatMap((id, order) => [keyValue(order.quantity, id), keyValue(0, id)]),
      ).toEqualTypeOf<KStream<number, string>>();
      expectTypeOf(orders.flatMapValues((order) => [order.quantity, 1])).toEqualTypeOf<
        KStream<string, number>
      >();
      expectTypeOf(orders.selectKey((_id, order) => order.customerId)).toEqualTypeOf<
        KStream<number, Order>
      >();
      expectTypeOf(orders.peek(() => undefined)).toEqualTypeOf<KStream<string, Order>>();
      expectTypeOf(orders.repartition()).toEqualTypeOf<KStream<string, Order>>();
      expectTypeOf(orders.toTable()).toEqualTypeOf<KTable<string, Order>>();
      // The mappers see the types of the stream they are applied to.
      orders.map((id, order) => {
        expectTypeOf(id).toEqualTypeOf<string>();
        expectTypeOf(order).toEqualTypeOf<Order>();
        return keyValue(id, order);
      });
      orders.mapValues((order, id) => {
        expectTypeOf(order).toEqualTypeOf<Order>();
        expectTypeOf(id).toEqualTypeOf<string>();
        return order;
      });
    });
  });

  it('split branches keep the stream types', () => {
    typeOnly(() => {
      const orders = new StreamsBuilder().stream(topics.orders);
      const branches = orders
        .split({ name: 'orders-' })
        .branch('big', (_id, order) => order.quantity > 10)
        .defaultBranch('rest');
      expectTypeOf(branches.big).toEqualTypeOf<KStream<string, Order>>();
      expectTypeOf(branches.rest).toEqualTypeOf<KStream<string, Order>>();
      // @ts-expect-error: no branch of that name
      void branches.small;
    });
  });

  it('stream-stream joins return the joiner result under the stream key, with null on the open sides', () => {
    typeOnly(() => {
      const builder = new StreamsBuilder();
      const orders = builder.stream(topics.orders);
      const payments = builder.stream(topics.payments);
      const window = JoinWindows.ofTimeDifferenceWithNoGrace(1_000);
      const inner = orders.join(
        payments,
        (order, payment, key) => {
          expectTypeOf(order).toEqualTypeOf<Order>();
          expectTypeOf(payment).toEqualTypeOf<Payment>();
          expectTypeOf(key).toEqualTypeOf<string>();
          return payment.amount * order.quantity;
        },
        window,
      );
      expectTypeOf(inner).toEqualTypeOf<KStream<string, number>>();
      orders.leftJoin(
        payments,
        (order, payment) => {
          expectTypeOf(payment).toEqualTypeOf<Payment | null>();
          return order;
        },
        window,
      );
      const outer = orders.outerJoin(
        payments,
        (order, payment) => {
          expectTypeOf(order).toEqualTypeOf<Order | null>();
          expectTypeOf(payment).toEqualTypeOf<Payment | null>();
          return true;
        },
        window,
      );
      expectTypeOf(outer).toEqualTypeOf<KStream<string, boolean>>();
    });
  });

  it('stream-stream joins with a grace period and StreamJoined serdes keep the joiner result type', () => {
    typeOnly(() => {
      const builder = new StreamsBuilder();
      const orders = builder.stream(topics.orders);
      const payments = builder.stream(topics.payments);
      const window = JoinWindows.ofTimeDifferenceAndGrace(1_000, 500).before(2_000).after(100);
      const paid = orders.leftJoin(
        payments,
        (order, payment, key) => ({ key, quantity: order.quantity, amount: payment?.amount ?? 0 }),
        window,
        {
          keySerde: Serdes.String(),
          valueSerde: Serdes.Json<Order>(),
          otherValueSerde: Serdes.Json<Payment>(),
        },
      );
      expectTypeOf(paid).toEqualTypeOf<KStream<string, { key: string; quantity: number; amount: number }>>();
      // The result flows on: a self-join of the joined stream, then to a topic of its type.
      orders
        .join(orders, (a, b) => a.quantity + b.quantity, window)
        .outerJoin(paid, (total, row) => (total ?? 0) + (row?.amount ?? 0), window)
        .to(topics.counts);
    });
  });

  it('stream-table and stream-globaltable joins', () => {
    typeOnly(() => {
      const builder = new StreamsBuilder();
      const orders = builder.stream(topics.orders);
      const byCustomer = orders.selectKey((_id, order) => order.customerId);
      const customers = builder.table(topics.customers);
      const global = builder.globalTable(topics.customers);
      expectTypeOf(
        byCustomer.join(customers, (order, customer) => ({ order, level: customer.level })),
      ).toEqualTypeOf<KStream<number, { order: Order; level: 'gold' | 'silver' }>>();
      byCustomer.leftJoin(customers, (_order, customer) => {
        expectTypeOf(customer).toEqualTypeOf<Customer | null>();
        return 0;
      });
      expectTypeOf(
        orders.join(
          global,
          (_id, order) => order.customerId,
          (order, customer, id) => `${id}:${order.quantity}:${customer.name}`,
        ),
      ).toEqualTypeOf<KStream<string, string>>();
      orders.leftJoin(
        global,
        (_id, order) => order.customerId,
        (_order, customer) => {
          expectTypeOf(customer).toEqualTypeOf<Customer | null>();
          return customer?.level;
        },
      );
    });
  });

  it('table-table and foreign-key joins', () => {
    typeOnly(() => {
      const builder = new StreamsBuilder();
      const orders = builder.table(topics.orders);
      const payments = builder.table(topics.payments);
      const customers = builder.table(topics.customers);
      expectTypeOf(orders.join(payments, (order, payment) => order.quantity * payment.amount)).toEqualTypeOf<
        KTable<string, number>
      >();
      expectTypeOf(orders.outerJoin(payments, (order, payment) => [order, payment] as const)).toEqualTypeOf<
        KTable<string, readonly [Order | null, Payment | null]>
      >();
      const withCustomer = orders.join(
        customers,
        (order) => order.customerId,
        (order, customer) => ({ id: order.id, name: customer.name }),
      );
      expectTypeOf(withCustomer).toEqualTypeOf<KTable<string, { id: string; name: string }>>();
      orders.leftJoin(
        customers,
        (order) => order.customerId,
        (_order, customer) => {
          expectTypeOf(customer).toEqualTypeOf<Customer | null>();
          return 1;
        },
      );
    });
  });

  it('grouping and aggregation', () => {
    typeOnly(() => {
      const builder = new StreamsBuilder();
      const orders = builder.stream(topics.orders);
      expectTypeOf(orders.groupByKey()).toEqualTypeOf<KGroupedStream<string, Order>>();
      const byCustomer = orders.groupBy((_id, order) => order.customerId, { keySerde: Serdes.Long() });
      expectTypeOf(byCustomer).toEqualTypeOf<KGroupedStream<number, Order>>();
      expectTypeOf(byCustomer.count()).toEqualTypeOf<KTable<number, number>>();
      expectTypeOf(byCustomer.reduce((a, b) => (a.quantity > b.quantity ? a : b))).toEqualTypeOf<
        KTable<number, Order>
      >();
      expectTypeOf(
        byCustomer.aggregate(
          () => [] as string[],
          (_customer, order, ids) => [...ids, order.id],
        ),
      ).toEqualTypeOf<KTable<number, string[]>>();
      const cogrouped = orders
        .groupByKey()
        .cogroup<number>((_id, order, total) => total + order.quantity)
        .cogroup(
          builder.stream(topics.payments).groupByKey(),
          (_id, payment, total) => total + payment.amount,
        )
        .aggregate(() => 0);
      expectTypeOf(cogrouped).toEqualTypeOf<KTable<string, number>>();

      const table = builder.table(topics.customers);
      const byLevel = table.groupBy((_id, customer) => keyValue(customer.level, customer.name));
      expectTypeOf(byLevel).toEqualTypeOf<KGroupedTable<'gold' | 'silver', string>>();
      expectTypeOf(byLevel.count()).toEqualTypeOf<KTable<'gold' | 'silver', number>>();
      expectTypeOf(
        byLevel.aggregate(
          () => 0,
          (_level, name, total) => total + name.length,
          (_level, name, total) => total - name.length,
        ),
      ).toEqualTypeOf<KTable<'gold' | 'silver', number>>();
    });
  });

  it('windowed aggregations have windowed keys, and suppress keeps the types', () => {
    typeOnly(() => {
      const orders = new StreamsBuilder().stream(topics.orders).groupByKey();
      const tumbling = orders.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000));
      expectTypeOf(tumbling).toEqualTypeOf<TimeWindowedKStream<string, Order>>();
      expectTypeOf(orders.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(1_000))).toEqualTypeOf<
        TimeWindowedKStream<string, Order>
      >();
      const counts = tumbling.count();
      expectTypeOf(counts).toEqualTypeOf<KTable<Windowed<string>, number>>();
      const suppressed = counts.suppress(Suppressed.untilWindowCloses());
      expectTypeOf(suppressed).toEqualTypeOf<KTable<Windowed<string>, number>>();
      suppressed.toStream().foreach((key, count) => {
        expectTypeOf(key.key).toEqualTypeOf<string>();
        expectTypeOf(key.window.start).toEqualTypeOf<number>();
        expectTypeOf(count).toEqualTypeOf<number>();
      });
      const sessions = orders.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5_000));
      expectTypeOf(sessions).toEqualTypeOf<SessionWindowedKStream<string, Order>>();
      expectTypeOf(
        sessions.aggregate(
          () => 0,
          (_id, order, total) => total + order.quantity,
          (_id, a, b) => a + b,
        ),
      ).toEqualTypeOf<KTable<Windowed<string>, number>>();
    });
  });

  it('to() takes topics and serdes of the stream types', () => {
    typeOnly(() => {
      const orders = new StreamsBuilder().stream(topics.orders);
      const counts = orders.mapValues((order) => order.quantity);
      counts.to(topics.counts);
      counts.to('counts-by-name', { keySerde: Serdes.String(), valueSerde: Serdes.Int() });
      counts.to((key, value) => {
        expectTypeOf(key).toEqualTypeOf<string>();
        expectTypeOf(value).toEqualTypeOf<number>();
        return 'counts';
      });
    });
  });
});

describe('DSL mistakes that do not compile', () => {
  it('a serde of the wrong type', () => {
    typeOnly(() => {
      const builder = new StreamsBuilder();
      const orders = builder.stream(topics.orders);
      // @ts-expect-error: the orders topic's values are Orders, the counts topic's are numbers
      orders.to(topics.counts);
      // @ts-expect-error: a number serde for string keys
      orders.to('orders-copy', { keySerde: Serdes.Int() });
      // @ts-expect-error: the explicit value type disagrees with the serde
      builder.stream<string, Order>('orders', { valueSerde: Serdes.String() });
      const windowed = orders.groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(1_000)).count();
      // @ts-expect-error: windowed keys need a windowed serde, not the plain key's
      windowed.toStream().to('windowed-counts', { keySerde: Serdes.String() });
      const sum = (_id: string, order: Order, total: number) => total + order.quantity;
      // @ts-expect-error: the aggregate's serde must match the aggregate type
      orders.groupByKey().aggregate(() => 0, sum, { valueSerde: Serdes.String() });
    });
  });

  it('(key, value) swapped in a mapper', () => {
    typeOnly(() => {
      const orders = new StreamsBuilder().stream(topics.orders);
      // @ts-expect-error: mapValues passes the value first
      orders.mapValues((key: string, order: Order) => order.quantity + key.length);
      // @ts-expect-error: map passes the key first
      orders.map((order: Order, key: string) => keyValue(key, order));
      // @ts-expect-error: filter passes the key first
      orders.filter((order: Order, _key: string) => order.quantity > 0);
      // @ts-expect-error: map must return a KeyValue, not a tuple
      orders.map((key, order) => [key, order]);
      const mapped: KStream<number, string> = orders.map((key, order) => keyValue(order.customerId, key));
      // @ts-expect-error: the result's key and value are the other way round
      const swapped: KStream<string, number> = orders.map((key, order) => keyValue(order.customerId, key));
      void mapped;
      void swapped;
    });
  });

  it('a joiner of the wrong arity or the wrong side', () => {
    typeOnly(() => {
      const builder = new StreamsBuilder();
      const orders = builder.stream(topics.orders);
      const payments = builder.stream(topics.payments);
      const window = JoinWindows.ofTimeDifferenceWithNoGrace(1_000);
      // @ts-expect-error: a value joiner takes (value, otherValue, key), not four arguments
      orders.join(payments, (_order: Order, _payment: Payment, _key: string, _extra: number) => 0, window);
      // @ts-expect-error: the sides are the other way round
      orders.join(payments, (payment: Payment, order: Order) => payment.amount + order.quantity, window);
      // @ts-expect-error: a stream-stream join needs JoinWindows
      orders.join(payments, (order, payment) => order.quantity + payment.amount);
      // @ts-expect-error: a left join's partner may be missing: the joiner must take null
      orders.leftJoin(payments, (order: Order, payment: Payment) => order.quantity + payment.amount, window);
      const orderRequired = (order: Order, payment: Payment | null) =>
        order.quantity + (payment?.amount ?? 0);
      // @ts-expect-error: an outer join's own value may be missing too
      orders.outerJoin(payments, orderRequired, window);
      // @ts-expect-error: a left join takes JoinWindows as well
      orders.leftJoin(payments, (order, payment) => order.quantity + (payment?.amount ?? 0));
      const customerStream = builder.stream(topics.customers);
      // @ts-expect-error: the two streams' keys must be of the same type
      orders.join(customerStream, (order: Order, customer: Customer) => order.id + customer.name, window);
      // @ts-expect-error: StreamJoined's serde for the other side must serialize its values
      orders.join(payments, (order, payment) => order.quantity + payment.amount, window, {
        otherValueSerde: Serdes.Long(),
      });
      // @ts-expect-error: the joined stream's values are the joiner's results, not the inputs'
      const notOrders: KStream<string, Order> = orders.join(
        payments,
        (_order, payment) => payment.amount,
        window,
      );
      void notOrders;
      const orderTable = builder.table(topics.orders);
      const customers = builder.table(topics.customers);
      const withKey = (_order: Order, _customer: Customer, _key: string) => 0;
      // @ts-expect-error: a foreign-key joiner takes (value, otherValue), no key
      orderTable.join(customers, (order) => order.customerId, withKey);
      // @ts-expect-error: the extractor must return the other table's key type
      orderTable.join(
        customers,
        (order) => order.id,
        (order: Order) => order,
      );
      // @ts-expect-error: a table-table join on the same key: number keys do not match string keys
      orderTable.join(customers, (order: Order, customer: Customer) => `${order.id}${customer.name}`);
      // @ts-expect-error: the stream key must match the table key
      orders.join(customers, (order: Order, customer: Customer) => `${order.id}${customer.name}`);
      const global = builder.globalTable(topics.customers);
      // @ts-expect-error: the key selector must return the global table's key type
      orders.join(
        global,
        (id) => id,
        (order: Order) => order,
      );
      const keyless = (total: number, order: Order) => total + order.quantity;
      // @ts-expect-error: an aggregator takes (key, value, aggregate)
      orders.groupByKey().aggregate(() => 0, keyless);
    });
  });

  it('a windowed key treated as the plain key', () => {
    typeOnly(() => {
      const counts = new StreamsBuilder()
        .stream(topics.orders)
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeWithNoGrace(1_000))
        .count();
      // @ts-expect-error: the key is Windowed<string>, not string
      counts.toStream().map((key: string, count: number): KeyValue<string, number> => keyValue(key, count));
    });
  });

  it('an application lists topics of any types and hands them back without claiming their types', () => {
    typeOnly(() => {
      const app = defineApp({
        applicationId: 'orders-app',
        topology: (builder) => void builder.stream(topics.orders).to(topics.orders),
        topics: [topics.orders, topics.customers, topics.counts],
      });
      expectTypeOf(app.topic('orders')).toEqualTypeOf<TopicDefinition<unknown, unknown> | undefined>();
      // @ts-expect-error: what app.topic() returns must be narrowed before its values are used as orders
      const order: Order | undefined = app.topic('orders')?.valueSerde.deserialize(new Uint8Array());
      void order;
    });
  });

  it('builds a topology from the operations above at run time', () => {
    const builder = new StreamsBuilder();
    builder
      .stream(topics.orders)
      .mapValues((order) => order.quantity)
      .to(topics.counts);
    expect(builder.build().describe().subtopologies).toHaveLength(1);
  });
});
