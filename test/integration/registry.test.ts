import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { spawn } from 'node:child_process';
import type { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSchemas, Serdes, StreamsBuilder } from 'tributary';
import { SchemaRegistryClient, SchemaRegistryError } from '../../src/serde/registry.ts';
import { registryAvroSerde } from '../../src/serde/registry-serde.ts';
import { registryWireSerdes } from '../../src/serde/registry-wire.ts';
import type { RegistrySecurity } from '../../src/serde/registry-connection.ts';
import { Secret } from '../../src/security/secret.ts';
import { TokenProvider } from '../../src/security/token-provider.ts';
import { TestCertificates } from '../support/certificates.ts';
import { signedJwt } from '../support/jwt.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig } from '../../src/runtime/worker/config.ts';
import { Worker } from '../../src/worker/worker.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import { provideRegistry, provideSecuredRegistry } from '../support/schema-registry.ts';

const schemas = AvroSchemas.fromDirectory(fileURLToPath(new URL('../../schemas', import.meta.url)));
const orderType = schemas.type('Order');
const customerType = schemas.type('Customer');
const emailType = schemas.type('Email');
const string = Serdes.String();
const long = Serdes.Long();

// Both registries start at once: the plain one, and one with HTTPS and authentication required.
const [registry, secured] = await Promise.all([provideRegistry(), provideSecuredRegistry()]);
const url = registry.url;
afterAll(() => Promise.all([registry.stop(), secured.stop()]));

/** A schema as JSON with a field added (with a default), the way a newer producer evolves it. */
function withField(type: avro.Type, field: { name: string; type: unknown; default: unknown }): avro.Schema {
  const schema = type.schema({ exportAttrs: true }) as { fields: unknown[] };
  return { ...schema, fields: [...schema.fields, field] } as avro.Schema;
}

/** The Confluent client, as another team's producer or consumer would use it. */
const confluent = () => new SchemaRegistry({ host: url });

async function registerRaw(subject: string, schema: unknown): Promise<number> {
  const response = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: number }).id;
}

describe.skipIf(!url)('a real schema registry', () => {
  const order = {
    id: 'o-1',
    customerId: 7,
    state: 'CREATED',
    product: 'JUMPERS',
    quantity: 2,
    price: 9.5,
    failureReason: null,
  };

  it('round trip: registers a schema, encodes and decodes, and both ways with the Confluent client', async () => {
    const client = new SchemaRegistryClient({ url });
    const subject = `${uniqueName('orders')}-value`;
    const id = await client.register(subject, orderType);
    expect(await client.register(subject, orderType)).toBe(id);
    const serde = registryAvroSerde({
      plain: schemas.serde('Order'),
      type: orderType,
      registry: client,
      ids: new Map([[subject, id]]),
    });
    const context = { topic: subject.replace(/-value$/, ''), part: 'value' as const };
    const bytes = serde.serialize(order, context);
    expect(bytes[0]).toBe(0);
    expect(serde.deserialize(bytes, context)).toEqual(order);

    // What the Confluent client writes, we read (after fetching the schema in prepare)...
    const fresh = new SchemaRegistryClient({ url });
    const reader = registryAvroSerde({
      plain: schemas.serde('Order'),
      type: orderType,
      registry: fresh,
      ids: new Map(),
    });
    const theirs = await confluent().encode(id, order);
    await reader.prepare!(theirs, context);
    expect(reader.deserialize(theirs, context)).toEqual(order);
    // ...and what we write, it reads.
    expect({ ...(await confluent().decode(Buffer.from(bytes))) }).toEqual(order);
  });

  it('gives records sent outside a topology (application routes) the wire format, registering on first use', async () => {
    const topic = uniqueName('orders');
    const wire = registryWireSerdes(new SchemaRegistryClient({ url }));
    const plain = schemas.serde('Order');
    const serde = await wire(plain, topic, 'value');
    expect(await wire(plain, topic, 'value')).toBe(serde);
    expect(await wire(string, topic, 'key')).toBe(string);
    const bytes = serde.serialize(order, { topic, part: 'value' });
    expect({ ...(await confluent().decode(Buffer.from(bytes))) }).toEqual(order);
    const subjects = (await (await fetch(`${url}/subjects`)).json()) as string[];
    expect(subjects).toContain(`${topic}-value`);
  });

  it('reads newer and older writers of a subject through Avro schema resolution', async () => {
    const subject = `${uniqueName('orders')}-value`;
    const client = new SchemaRegistryClient({ url });
    const oldId = await client.register(subject, orderType);
    const newer = withField(orderType, { name: 'channel', type: 'string', default: 'web' });
    const { id: newId } = await confluent().register(
      { type: SchemaType.AVRO, schema: JSON.stringify(newer) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    expect(newId).not.toBe(oldId);
    const context = { topic: 'orders', part: 'value' as const };

    const oldReader = registryAvroSerde({
      plain: schemas.serde('Order'),
      type: orderType,
      registry: client,
      ids: new Map([[subject, oldId]]),
    });
    const written = await confluent().encode(newId, { ...order, channel: 'shop' });
    await oldReader.prepare!(written, context);
    expect(oldReader.deserialize(written, context)).toEqual(order);

    const newType = avro.Type.forSchema(newer);
    const newReader = registryAvroSerde({
      plain: Serdes.Avro(newType),
      type: newType,
      registry: client,
      ids: new Map([[subject, newId]]),
    });
    const old = await confluent().encode(oldId, order);
    await newReader.prepare!(old, context);
    expect(newReader.deserialize(old, context)).toEqual({ ...order, channel: 'web' });
  });

  it('reports an incompatible change with the subject and the registry reason', async () => {
    const subject = `${uniqueName('orders')}-value`;
    const client = new SchemaRegistryClient({ url });
    await client.register(subject, orderType);
    const changed = orderType.schema({ exportAttrs: true }) as { fields: { name: string; type: unknown }[] };
    const broken = avro.Type.forSchema({
      ...changed,
      fields: changed.fields.map((f) => (f.name === 'quantity' ? { name: 'quantity', type: 'string' } : f)),
    } as avro.Schema);
    const failure = await client.register(subject, broken).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SchemaRegistryError);
    expect((failure as SchemaRegistryError).subject).toBe(subject);
    expect((failure as Error).message).toContain(`for subject "${subject}" as incompatible`);
    // The registry's own explanation comes through (Apicurio names the field that differs).
    expect((failure as Error).message).toMatch(/quantity|incompatible/i);
  });

  it('registers under a subject that exists without a compatibility setting of its own', async () => {
    const subject = `${uniqueName('orders')}-value`;
    // Created by someone else, without setting a compatibility level on the subject.
    const existing = await registerRaw(subject, orderType.schema({ exportAttrs: true }));
    const client = new SchemaRegistryClient({ url });
    expect(await client.register(subject, orderType)).toBe(existing);
    const newer = avro.Type.forSchema(
      withField(orderType, { name: 'channel', type: 'string', default: 'web' }),
    );
    expect(await client.register(subject, newer)).not.toBe(existing);
  });
});

const brokers = kafkaBrokers();

describe.skipIf(!url || !brokers)('a worker with a schema registry, on Kafka', () => {
  let kit: KafkaKit;
  const stateDirs: string[] = [];
  beforeAll(() => {
    kit = new KafkaKit(brokers);
  });
  afterAll(async () => {
    await kit.close();
    await Promise.all(stateDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  function worker(app: string, topology: ReturnType<StreamsBuilder['build']>) {
    const stateDir = join(tmpdir(), uniqueName('tributary-registry-it'));
    stateDirs.push(stateDir);
    const config = loadWorkerConfig({
      flags: {
        brokers,
        'state-dir': stateDir,
        'commit-interval-ms': '100',
        guarantee: 'exactly-once',
        'schema-registry': url,
      },
      env: {},
    });
    return new Worker([{ applicationId: app, topology }], config, kit.port, silentLogger);
  }

  function emailsTopology(topics: { orders: string; customers: string; emails: string; counts: string }) {
    const builder = new StreamsBuilder();
    const orders = builder.stream(topics.orders, {
      keySerde: string,
      valueSerde: schemas.serde<{ customerId: number; id: string; product: string }>('Order'),
    });
    const customers = builder.globalTable(topics.customers, {
      keySerde: long,
      valueSerde: schemas.serde<{ email: string; level: string; firstName: string }>('Customer'),
    });
    orders
      .join(
        customers,
        (_id, o) => o.customerId,
        (o, c) => ({
          orderId: o.id,
          customerId: o.customerId,
          to: c.email,
          customerLevel: c.level,
          subject: `Order ${o.id}`,
          body: `Hello ${c.firstName}`,
        }),
      )
      .to(topics.emails, { keySerde: string, valueSerde: schemas.serde('Email') });
    orders
      .groupBy((_id, o) => o.product, { keySerde: string, name: 'by-product' })
      .count({ storeName: 'product-counts' })
      .toStream()
      .to(topics.counts, { keySerde: string, valueSerde: long });
    return builder.build();
  }

  it('reads what a registry-aware producer wrote and writes what a registry-aware consumer reads', async () => {
    const topics = {
      orders: uniqueName('orders'),
      customers: uniqueName('customers'),
      emails: uniqueName('emails'),
      counts: uniqueName('counts'),
    };
    const app = uniqueName('emails-app');
    await kit.createTopics({
      [topics.orders]: 2,
      [topics.customers]: 2,
      [topics.emails]: 2,
      [topics.counts]: 2,
    });
    const producerRegistry = confluent();
    // Another team's producers use newer schemas than the worker's.
    const customerV2 = withField(customerType, { name: 'phone', type: 'string', default: '' });
    const orderV2 = withField(orderType, { name: 'channel', type: 'string', default: 'web' });
    const { id: customerId } = await producerRegistry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(customerV2) },
      { subject: `${topics.customers}-value` },
    );
    const { id: orderId } = await producerRegistry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(orderV2) },
      { subject: `${topics.orders}-value` },
    );
    const customer = (id: number, name: string) => ({
      id,
      firstName: name,
      lastName: 'L',
      email: `${name}@example.com`,
      address: 'A',
      level: 'gold',
      phone: '1',
    });
    const produce = async (
      topic: string,
      keySerde: typeof string | typeof long,
      entries: [unknown, Buffer][],
    ) =>
      kit.produce(
        topic,
        keySerde as typeof string,
        Serdes.Bytes(),
        entries.map(([key, value]) => ({ key: key as string, value })),
      );
    // One customer before the worker starts (the global store loads it), one after (it follows the topic).
    await produce(topics.customers, long, [
      [1, await producerRegistry.encode(customerId, customer(1, 'ada'))],
    ]);

    const w = worker(app, emailsTopology(topics));
    await w.start();
    try {
      await produce(topics.customers, long, [
        [2, await producerRegistry.encode(customerId, customer(2, 'grace'))],
      ]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const order = (id: string, customer: number, product: string) => ({
        id,
        customerId: customer,
        state: 'CREATED',
        product,
        quantity: 1,
        price: 1,
        failureReason: null,
        channel: 'app',
      });
      await produce(topics.orders, string, [
        ['o1', await producerRegistry.encode(orderId, order('o1', 1, 'JUMPERS'))],
        ['o2', await producerRegistry.encode(orderId, order('o2', 2, 'JUMPERS'))],
      ]);

      const consumerRegistry = confluent();
      const emails = await kit.readUntil(topics.emails, (r) => r.length >= 2);
      const decoded = await Promise.all(
        emails.map(async (r) => ({ ...(await consumerRegistry.decode(Buffer.from(r.value!))) })),
      );
      expect(decoded.sort((a, b) => String(a.orderId).localeCompare(String(b.orderId)))).toEqual([
        {
          orderId: 'o1',
          customerId: 1,
          to: 'ada@example.com',
          customerLevel: 'gold',
          subject: 'Order o1',
          body: 'Hello ada',
        },
        {
          orderId: 'o2',
          customerId: 2,
          to: 'grace@example.com',
          customerLevel: 'gold',
          subject: 'Order o2',
          body: 'Hello grace',
        },
      ]);
      const counts = await kit.readUntil(topics.counts, (r) =>
        r.some((c) => long.deserialize(c.value!) === 2),
      );
      expect(string.deserialize(counts.at(-1)!.key!)).toBe('JUMPERS');

      const subjects = (await (await fetch(`${url}/subjects`)).json()) as string[];
      expect(subjects).toEqual(
        expect.arrayContaining([
          `${topics.orders}-value`,
          `${topics.customers}-value`,
          `${topics.emails}-value`,
          `${app}-by-product-repartition-value`,
        ]),
      );
      // Keys here are strings and longs, not Avro: no key subjects.
      expect(subjects).not.toContain(`${topics.orders}-key`);
    } finally {
      await w.stop();
    }
  });

  it('refuses to start when a topic it writes holds an incompatible schema, naming the subject', async () => {
    const topics = {
      orders: uniqueName('orders'),
      customers: uniqueName('customers'),
      emails: uniqueName('emails'),
      counts: uniqueName('counts'),
    };
    await kit.createTopics({
      [topics.orders]: 1,
      [topics.customers]: 1,
      [topics.emails]: 1,
      [topics.counts]: 1,
    });
    const changed = emailType.schema({ exportAttrs: true }) as { fields: { name: string }[] };
    await confluent().register(
      {
        type: SchemaType.AVRO,
        schema: JSON.stringify({
          ...changed,
          fields: changed.fields.map((f) => (f.name === 'orderId' ? { name: 'orderId', type: 'long' } : f)),
        }),
      },
      { subject: `${topics.emails}-value` },
    );
    const w = worker(uniqueName('emails-app'), emailsTopology(topics));
    await expect(w.start()).rejects.toThrow(new RegExp(`subject "${topics.emails}-value" as incompatible`));
  });
});

describe.skipIf(!url || !brokers)('tributary start on Kafka with a schema registry', () => {
  const variants = [
    { registry: 'open', url, env: {}, client: confluent },
    ...(secured.url
      ? [
          {
            registry: 'asking for a password, over HTTPS',
            url: secured.url,
            env: {
              SCHEMA_REGISTRY_USERNAME: secured.files!.user.name,
              SCHEMA_REGISTRY_PASSWORD: secured.files!.user.password,
              SCHEMA_REGISTRY_TLS_CA: secured.files!.ca,
            },
            client: () =>
              new SchemaRegistry({
                host: secured.url,
                auth: { username: secured.files!.user.name, password: secured.files!.user.password },
                agent: new HttpsAgent({ ca: readFileSync(secured.files!.ca) }) as unknown as HttpAgent,
              }),
          },
        ]
      : []),
  ];
  it.each(variants)(
    'creates the missing topics, registers the schemas and runs the topology (registry $registry)',
    async ({ url, env, client }) => {
      const prefix = uniqueName('start');
      const kit = new KafkaKit(brokers);
      const dataDir = join(tmpdir(), uniqueName('tributary-start-kafka'));
      const root = fileURLToPath(new URL('../..', import.meta.url));
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const { port } = server.address() as { port: number };
          server.close(() => resolve(port));
        });
      });
      const child = spawn(
        process.execPath,
        ['bin/tributary.js', 'start', 'test/cli/fixtures/start-kafka-app.ts', '--port', String(port)],
        {
          cwd: root,
          env: {
            ...process.env,
            KAFKA_BROKERS: brokers,
            SCHEMA_REGISTRY_URL: url,
            ...env,
            DATA_DIR: dataDir,
            START_TEST_PREFIX: prefix,
            TOPIC_PARTITIONS: '2',
            LOG_FORMAT: 'json',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      try {
        const deadline = Date.now() + 120_000;
        while (!output.includes('Tributary is running')) {
          if (child.exitCode !== null || Date.now() > deadline)
            throw new Error(`start did not come up:\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(output).toContain(`event log: Kafka at ${brokers}`);
        // The worker says how it reaches the registry, and never shows the password.
        const password: string | undefined = (env as { SCHEMA_REGISTRY_PASSWORD?: string })
          .SCHEMA_REGISTRY_PASSWORD;
        if (password) {
          expect(output).toContain('"auth":"basic (tributary)"');
          expect(output).not.toContain(password);
        }
        expect(await kit.admin.partitionCounts([`${prefix}-orders`, `${prefix}-validated`])).toEqual(
          new Map([
            [`${prefix}-orders`, 2],
            [`${prefix}-validated`, 2],
          ]),
        );
        const producer = client();
        const { id } = await producer.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(orderType.schema({ exportAttrs: true })) },
          { subject: `${prefix}-orders-value` },
        );
        const order = {
          id: 'o-1',
          customerId: 1,
          state: 'CREATED',
          product: 'JUMPERS',
          quantity: 1,
          price: 1,
          failureReason: null,
        };
        await kit.produce(`${prefix}-orders`, string, Serdes.Bytes(), [
          { key: 'o-1', value: await producer.encode(id, order) },
        ]);
        const [validated] = await kit.readUntil(`${prefix}-validated`, (r) => r.length >= 1);
        expect({ ...(await client().decode(Buffer.from(validated!.value!))) }).toEqual({
          ...order,
          state: 'VALIDATED',
        });
      } finally {
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        await kit.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );
});

describe.skipIf(!secured.url)('a schema registry that asks for credentials, over HTTPS', () => {
  const files = secured.files!;
  const ca = { caFile: files.ca };
  const basic = {
    ...ca,
    basic: { username: files.user.name, password: new Secret(files.user.password, 'test') },
  };
  /** A JWT the registry accepts: signed with the key it was given, from its issuer. */
  const signedToken = (issuer = files.tokens.issuer) =>
    signedJwt(files.tokens.signingKey, { sub: 'worker', iss: issuer });
  const tokenFiles = new TestCertificates();
  afterAll(() => tokenFiles.close());

  /** Registers the Order schema under a new subject and reads it back by id through a second client. */
  async function roundTrip(security: RegistrySecurity): Promise<void> {
    const subject = `${uniqueName('secured')}-value`;
    const id = await new SchemaRegistryClient({ url: secured.url, security }).register(subject, orderType);
    const reader = new SchemaRegistryClient({ url: secured.url, security });
    await reader.fetchWriter(id);
    expect(reader.fetchFailure(id)).toBeUndefined();
    expect(reader.writer(id)?.name).toBe(orderType.name);
  }

  it('registers and fetches schemas with basic auth, trusting the registry through the CA given', async () => {
    await roundTrip(basic);
  });

  it('registers and fetches schemas with a bearer token, from a secret or from a file read again when it changes', async () => {
    await roundTrip({
      ...ca,
      token: new TokenProvider({ kind: 'static', token: new Secret(signedToken(), 'test') }),
    });
    const file = tokenFiles.file('registry-token', signedToken('someone-else'));
    const fromFile: RegistrySecurity = { ...ca, token: new TokenProvider({ kind: 'file', path: file }) };
    // A token from another issuer is refused...
    await expect(roundTrip(fromFile)).rejects.toThrow(/did not accept the credentials \(HTTP 401\)/);
    // ...and once the file holds a good one, the same client settings work.
    tokenFiles.file('registry-token', `${signedToken()}\n`);
    await roundTrip(fromFile);
  });

  it('says which settings to check when refused, without retrying or showing the password, and asks for the CA', async () => {
    const wrong = 'not-the-registry-password';
    const refused = await new SchemaRegistryClient({
      url: secured.url,
      security: { ...ca, basic: { username: files.user.name, password: new Secret(wrong, 'test') } },
    })
      .register(`${uniqueName('refused')}-value`, orderType)
      .catch((e: SchemaRegistryError) => e);
    expect(refused).toBeInstanceOf(SchemaRegistryError);
    expect((refused as SchemaRegistryError).retriable).toBe(false);
    expect((refused as Error).message).toMatch(
      /the schema registry https:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7 did not accept the credentials \(HTTP 401\); check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD/,
    );
    expect((refused as Error).message).not.toContain(wrong);
    const anonymous = await new SchemaRegistryClient({ url: secured.url, security: ca })
      .register(`${uniqueName('anonymous')}-value`, orderType)
      .catch((e: Error) => e);
    expect((anonymous as Error).message).toMatch(/HTTP 401/);
    const untrusted = await new SchemaRegistryClient({ url: secured.url, security: { basic: basic.basic } })
      .register(`${uniqueName('untrusted')}-value`, orderType)
      .catch((e: Error) => e);
    expect((untrusted as Error).message).toMatch(/certificate .* not trusted.*SCHEMA_REGISTRY_TLS_CA/);
  });
});
