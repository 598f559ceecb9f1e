import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroSchemas, SerdeError, avroSerde } from 'tributary';

/** The reference system's schemas: types spread over files that refer to each other by name. */
const directory = fileURLToPath(new URL('../../schemas', import.meta.url));
const schemas = AvroSchemas.fromDirectory(directory);
const value = (topic: string) => ({ topic, part: 'value' as const });

interface OrderRecord {
  readonly id: string;
  readonly customerId: number;
  readonly state: string;
  readonly product: string | null;
  readonly quantity: number;
  readonly price: number;
  readonly failureReason: string | null;
}

const order: OrderRecord = {
  id: 'o1',
  customerId: 42,
  state: 'CREATED',
  product: 'JUMPERS',
  quantity: 2,
  price: 9.5,
  failureReason: null,
};

function serdeError(call: () => unknown): SerdeError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(SerdeError);
    return error as SerdeError;
  }
  throw new Error('expected a SerdeError');
}

describe('Avro serdes from AvroSchemas.fromDirectory(schemas/)', () => {
  it('finds every type by full and short name, whichever file defines it', () => {
    for (const name of ['Order', 'OrderState', 'Product', 'OrderValidation', 'Payment', 'Customer', 'Email'])
      expect(schemas.type(name)).toBe(schemas.type(`tributary.orders.${name}`));
    expect(serdeError(() => schemas.type('Refund')).message).toMatch(
      /^no Avro type named "Refund"; known: .*\bOrder\b/,
    );
  });

  it('Order refers to enums defined in other files and round-trips through Avro binary', () => {
    const serde = schemas.serde<OrderRecord>('Order');
    const bytes = serde.serialize(order);
    // Avro binary, no registry framing: "o1" (zigzag length 2 → 04), customerId 42 (→ 54), state
    // index 0, union branch 1 then Product index 0, quantity 2, price as a little-endian double, null.
    expect(Buffer.from(bytes).toString('hex')).toBe('046f3154000200040000000000002340' + '00');
    expect(serde.deserialize(bytes)).toEqual(order);
    // Plain objects, not avsc's generated record classes.
    expect(Object.getPrototypeOf(serde.deserialize(bytes))).toBe(Object.prototype);
  });

  it('enums are strings; a symbol outside the enum names the field and the allowed symbols', () => {
    const serde = schemas.serde<OrderRecord>('OrderValidation');
    const validation = { orderId: 'o1', checkType: 'FRAUD_CHECK', validationResult: 'PASS', reason: null };
    expect(serde.deserialize(serde.serialize(validation as never))).toEqual(validation);
    const error = serdeError(() =>
      serde.serialize({ ...validation, checkType: 'CREDIT_CHECK' } as never, value('order-validations')),
    );
    expect(error.message).toBe(
      'value does not match Avro type tributary.orders.OrderValidation (value of topic "order-validations"): ' +
        'checkType: expected one of INVENTORY_CHECK, FRAUD_CHECK, ORDER_DETAILS_CHECK, got "CREDIT_CHECK"',
    );
  });

  it('unions with null take either null or the other branch', () => {
    const serde = schemas.serde<OrderRecord>('Order');
    const withoutProduct = { ...order, product: null, failureReason: 'no product' };
    expect(serde.deserialize(serde.serialize(withoutProduct))).toEqual(withoutProduct);
    expect(
      serdeError(() => serde.serialize({ ...order, product: 'SOCKS' }, value('orders'))).message,
    ).toContain('product: expected one of JUMPERS, UNDERPANTS, STOCKINGS, got "SOCKS"');
  });

  it('fields left out take their schema defaults, when writing and when reading recordings', () => {
    const orders = schemas.serde<OrderRecord>('Order');
    const { product: _p, failureReason: _f, ...minimal } = order;
    expect(orders.deserialize(orders.serialize(minimal as never))).toEqual({
      ...minimal,
      product: null,
      failureReason: null,
    });
    const customers = schemas.serde<Record<string, unknown>>('Customer');
    const customer = { id: 7, firstName: 'Ada', lastName: 'L', email: 'a@l', address: 'London' };
    expect(customers.fromJson!(customer)).toEqual({ ...customer, level: 'bronze' });
    expect(customers.deserialize(customers.serialize(customer))).toEqual({ ...customer, level: 'bronze' });
    // A field given is kept.
    expect(customers.fromJson!({ ...customer, level: 'gold' })).toMatchObject({ level: 'gold' });
  });

  it('every field that does not fit is named, with what was expected and what was found', () => {
    const serde = schemas.serde<OrderRecord>('Order');
    const error = serdeError(() =>
      serde.fromJson!({ id: 'o1', state: 'CREATED', quantity: 'two', price: 1 }, value('orders')),
    );
    expect(error.message).toBe(
      'value does not match Avro type tributary.orders.Order (value of topic "orders"): ' +
        'customerId: expected long, got nothing; quantity: expected int, got "two"',
    );
  });

  it('longs beyond Number.MAX_SAFE_INTEGER are refused, not rounded', () => {
    const serde = schemas.serde<OrderRecord>('Order');
    expect(serdeError(() => serde.serialize({ ...order, customerId: 2 ** 53 })).message).toContain(
      'customerId: expected long, got 9007199254740992',
    );
  });

  it('bytes that are not the type name the type and the topic', () => {
    const serde = schemas.serde<OrderRecord>('Order');
    const error = serdeError(() => serde.deserialize(new Uint8Array([4, 0x6f]), value('orders')));
    expect(error.message).toMatch(
      /^bytes are not a valid avro:tributary\.orders\.Order \(value of topic "orders"\): /,
    );
  });

  it('nested records: defaults are filled and errors carry the path, also through a union with null', () => {
    const files = readdirSync(directory).filter((f) => f.endsWith('.avsc'));
    const envelope = {
      type: 'record',
      name: 'Envelope',
      namespace: 'tributary.test',
      fields: [
        { name: 'order', type: 'tributary.orders.Order' },
        { name: 'customer', type: ['null', 'tributary.orders.Customer'], default: null },
        { name: 'history', type: { type: 'array', items: 'tributary.orders.Customer' }, default: [] },
      ],
    } as avro.Schema;
    // The envelope comes first, before the types it names: parsing retries it once they exist.
    const all = AvroSchemas.fromSchemas([
      { source: 'envelope', schema: envelope },
      ...files.map((f) => ({
        source: f,
        schema: JSON.parse(readFileSync(join(directory, f), 'utf8')) as avro.Schema,
      })),
    ]);
    const serde = all.serde<Record<string, unknown>>('Envelope');
    const customer = { id: 7, firstName: 'Ada', lastName: 'L', email: 'a@l', address: 'London' };
    const filled = serde.fromJson!({ order, customer, history: [customer] }) as {
      customer: { level: string };
      history: { level: string }[];
    };
    expect(filled.customer.level).toBe('bronze');
    expect(filled.history[0]!.level).toBe('bronze');
    expect(serde.fromJson!({ order })).toMatchObject({ customer: null, history: [] });
    const error = serdeError(() =>
      serde.fromJson!({ order: { ...order, quantity: 1.5 } }, value('envelopes')),
    );
    expect(error.message).toContain('order.quantity: expected int, got 1.5');
  });

  it('a schema naming a type that exists nowhere fails with the file and the reason', () => {
    expect(
      serdeError(() =>
        AvroSchemas.fromSchemas([
          {
            source: 'broken.avsc',
            schema: {
              type: 'record',
              name: 'Broken',
              fields: [{ name: 'x', type: 'Missing' }],
            } as avro.Schema,
          },
        ]),
      ).message,
    ).toMatch(/^cannot parse Avro schemas: broken\.avsc: .*Missing/);
  });

  it('decodes records nested in records, arrays, maps and unions as plain objects, recursive types too', () => {
    const node = {
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'label', type: 'string' },
        { name: 'tags', type: { type: 'array', items: 'string' } },
        { name: 'counts', type: { type: 'map', values: 'int' } },
        { name: 'children', type: { type: 'array', items: 'Node' } },
        { name: 'byName', type: { type: 'map', values: 'Node' } },
        { name: 'next', type: ['null', 'Node'], default: null },
        { name: 'blob', type: 'bytes' },
      ],
    } as avro.Schema;
    const serde = avroSerde<Record<string, unknown>>(avro.Type.forSchema(node));
    const leaf = (label: string) => ({
      label,
      tags: [label],
      counts: { [label]: 1 },
      children: [],
      byName: {},
      next: null,
      blob: Buffer.from(label),
    });
    const tree = {
      ...leaf('root'),
      children: [leaf('a'), { ...leaf('b'), next: leaf('c') }],
      byName: { d: leaf('d') },
      next: leaf('e'),
    };
    const decoded = serde.deserialize(serde.serialize(tree)) as typeof tree;
    expect(decoded).toEqual(tree);
    const plain = (value: unknown) => expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    for (const value of [decoded, decoded.children[0], decoded.children[1], decoded.children[1]!.next])
      plain(value);
    plain(decoded.byName.d);
    plain(decoded.next);
    plain(decoded.counts);
    expect(Buffer.isBuffer(decoded.blob)).toBe(true);
  });
});
