/**
 * A seedable generator of realistic recordings for the orders system: customers, warehouse stock with
 * restocks, orders with interleaved timestamps, and their payments. The same options give the same
 * records, so a seed names a recording. Used by `npm run generate` and the benchmark.
 */
import type { RecordedRecord } from 'tributary/testing';
import type { Customer, Order, Payment, Product } from '../../schemas/topics.ts';

export interface GenerateOptions {
  /** Number of orders (each may bring a payment). */
  readonly orders: number;
  /** Number of customers (default: one per ten orders, at least 10). */
  readonly customers?: number;
  readonly seed?: number;
  /** Time of the first record, ms since the epoch (default 2023-11-14T22:13:20Z). */
  readonly startMs?: number;
  /** Mean time between two orders (default 20 s: a customer's orders are mostly hours apart). */
  readonly meanOrderGapMs?: number;
}

/** What the generator did, for tests and for people reading a benchmark. */
export interface GeneratedCounts {
  orders: number;
  duplicateOrders: number;
  badDetails: number;
  customers: number;
  stockUpdates: number;
  payments: number;
  paidInFull: number;
  paidShort: number;
  paidBeforeValidation: number;
  paidTooLate: number;
  unpaid: number;
  secondPayments: number;
}

export interface GeneratedRecording {
  /** In delivery order: by timestamp, ties in the order they were made. */
  readonly records: readonly RecordedRecord[];
  readonly counts: GeneratedCounts;
}

const PRODUCTS: readonly Product[] = ['JUMPERS', 'UNDERPANTS', 'STOCKINGS'];
/** Typical unit price range per product. */
const PRICES: Record<Product, readonly [number, number]> = {
  JUMPERS: [25, 90],
  UNDERPANTS: [4, 18],
  STOCKINGS: [3, 15],
};
const FIRST_NAMES = [
  'Ada',
  'Alan',
  'Grace',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'John',
  'Margaret',
  'Ken',
];
const LAST_NAMES = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Backus',
  'Hamilton',
];
const STREETS = ['High Street', 'Station Road', 'Church Lane', 'Mill Road', 'Park Avenue', 'Queen Street'];
const LEVELS = ['bronze', 'bronze', 'bronze', 'silver', 'silver', 'gold', 'platinum'];
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'GBP', 'USD'];

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** mulberry32: small, fast and good enough for test data; the same seed gives the same sequence. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateRecording(options: GenerateOptions): GeneratedRecording {
  const orderCount = checkCount(options.orders, 'orders');
  const customerCount = checkCount(
    options.customers ?? Math.max(10, Math.ceil(orderCount / 10)),
    'customers',
  );
  const next = random(options.seed ?? 1);
  const startMs = options.startMs ?? 1_700_000_000_000;
  const meanGap = options.meanOrderGapMs ?? 20 * SECOND;
  const between = (low: number, high: number) => low + next() * (high - low);
  const int = (low: number, high: number) => Math.floor(between(low, high + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const cents = (amount: number) => Math.round(amount * 100) / 100;

  const counts: GeneratedCounts = {
    orders: 0,
    duplicateOrders: 0,
    badDetails: 0,
    customers: customerCount,
    stockUpdates: 0,
    payments: 0,
    paidInFull: 0,
    paidShort: 0,
    paidBeforeValidation: 0,
    paidTooLate: 0,
    unpaid: 0,
    secondPayments: 0,
  };
  const out: { record: RecordedRecord; sequence: number }[] = [];
  const emit = (topic: string, key: unknown, value: unknown, timestamp: number) =>
    out.push({ record: { topic, key, value, timestamp: Math.round(timestamp) }, sequence: out.length });

  for (let id = 1; id <= customerCount; id++) {
    const firstName = pick(FIRST_NAMES);
    const lastName = pick(LAST_NAMES);
    const customer: Customer = {
      id,
      firstName,
      lastName,
      email: `${firstName}.${lastName}.${id}@example.com`.toLowerCase(),
      address: `${int(1, 200)} ${pick(STREETS)}, ${pick(['Bristol', 'Leeds', 'York', 'Bath', 'Derby'])}`,
      level: pick(LEVELS),
    };
    emit('customers', id, customer, startMs);
  }

  // Stock is counted in units ever delivered (the warehouse row is the latest level); reservations of
  // confirmed orders are never given back, so deliveries follow demand, a little behind now and then.
  const expectedUnitsPerProduct = (orderCount * 3) / PRODUCTS.length;
  const stock = new Map<Product, number>();
  const deliver = (product: Product, units: number, at: number) => {
    stock.set(product, (stock.get(product) ?? 0) + units);
    emit('warehouse-inventory', product, stock.get(product)!, at);
    counts.stockUpdates++;
  };
  // STOCKINGS arrive a little after the shop opens: the first orders for them find no stock row.
  deliver('JUMPERS', Math.ceil(expectedUnitsPerProduct * 0.1) + 20, startMs);
  deliver('UNDERPANTS', Math.ceil(expectedUnitsPerProduct * 0.1) + 20, startMs);
  const restockEvery = Math.max(20, Math.floor(orderCount / 20));

  // A few customers order far more often than the rest, as in any shop.
  const customerOf = () =>
    next() < 0.3 ? int(1, Math.max(1, Math.ceil(customerCount / 20))) : int(1, customerCount);
  let time = startMs + 5 * MINUTE;
  for (let i = 1; i <= orderCount; i++) {
    time += -Math.log(1 - next()) * meanGap;
    if (i === Math.max(2, Math.floor(orderCount / 100)))
      deliver('STOCKINGS', Math.ceil(expectedUnitsPerProduct * 0.1) + 20, time);
    if (i % restockEvery === 0)
      for (const product of PRODUCTS)
        if (stock.has(product))
          deliver(product, Math.ceil((expectedUnitsPerProduct / 20) * between(0.8, 1.3)), time);

    const product = pick(PRODUCTS);
    const [low, high] = PRICES[product];
    const shape = next();
    let quantity = shape < 0.97 ? int(1, 5) : int(10, 30);
    let price = cents(between(low, high));
    if (shape >= 0.99) price = cents(between(150, 400)); // a luxury line: alone it can reach the fraud limit
    let orderProduct: Product | null = product;
    const broken = next();
    if (broken < 0.004) quantity = 0;
    else if (broken < 0.007) price = -price;
    else if (broken < 0.01) orderProduct = null;
    if (broken < 0.01) counts.badDetails++;

    const order: Order = {
      id: `o-${String(i).padStart(7, '0')}`,
      customerId: customerOf(),
      state: 'CREATED',
      product: orderProduct,
      quantity,
      price,
    };
    emit('orders', order.id, order, time);
    counts.orders++;
    if (next() < 0.002) {
      emit('orders', order.id, order, time + between(SECOND, 5 * SECOND)); // a producer retry
      counts.duplicateOrders++;
    }

    const value = cents(quantity * price);
    const paying = next();
    const payment = (amount: number, at: number, suffix = ''): void => {
      const p: Payment = {
        id: `p-${String(i).padStart(7, '0')}${suffix}`,
        orderId: order.id,
        ccy: pick(CURRENCIES),
        amount,
      };
      emit('payments', p.id, p, at);
      counts.payments++;
    };
    if (paying < 0.82) {
      payment(value, time + between(5 * SECOND, 2 * MINUTE));
      counts.paidInFull++;
    } else if (paying < 0.87) {
      payment(cents(value * between(0.5, 0.95)), time + between(5 * SECOND, 2 * MINUTE));
      counts.paidShort++;
    } else if (paying < 0.93) {
      payment(value, time - between(SECOND, 2 * MINUTE)); // paid at checkout, before the checks are done
      counts.paidBeforeValidation++;
    } else if (paying < 0.96) {
      payment(value, time + between(6 * MINUTE, 30 * MINUTE)); // outside the 5-minute window
      counts.paidTooLate++;
    } else {
      counts.unpaid++;
    }
    if (paying < 0.82 && next() < 0.01) {
      payment(value, time + between(3 * MINUTE, 4 * MINUTE), '-again'); // paid twice
      counts.secondPayments++;
    }
  }

  out.sort((a, b) => a.record.timestamp - b.record.timestamp || a.sequence - b.sequence);
  return { records: out.map((o) => o.record), counts };
}

/** The recording as JSONL, one record per line (the replay input format). */
export function* recordingLines(records: readonly RecordedRecord[]): Generator<string> {
  for (const record of records) yield `${JSON.stringify(record)}\n`;
}

function checkCount(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${what} must be a positive whole number, got ${value}`);
  return value;
}
