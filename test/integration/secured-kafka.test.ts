import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, type TributaryApp } from 'tributary';
import { KafkaAuthorizationError, KafkaTlsError } from '../../src/kafka/security-errors.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { requiredAcls, type RequiredAcl } from '../../src/runtime/worker/required-acls.ts';
import type { ProcessingGuarantee } from '../../src/runtime/worker/settings.ts';
import { TestCertificates } from '../support/certificates.ts';
import { grantAcls } from '../support/kafka-acls.ts';
import { KafkaKit, kafkaBrokers, uniqueName } from '../support/kafka-kit.ts';
import {
  adminLogin,
  connectionAs,
  kitAs,
  securedKafka,
  securityFrom,
  signedToken,
  type Identity,
} from '../support/secured-kafka.ts';
import { freeEndpoint, WorkerProcess } from '../support/worker-process.ts';
import { expectedCounts, wordCountApp, wordRecords } from '../support/word-count.ts';
import { shout } from './fixtures/shout-app.ts';
import { wordCount } from './fixtures/word-count-app.ts';

const kafka = securedKafka();
const string = Serdes.String();
const long = Serdes.Long();
const shoutApp = 'test/integration/fixtures/shout-app.ts';

/** The ACLs `tributary acls` lists for an application. */
function aclsOf(app: TributaryApp, guarantee: ProcessingGuarantee): RequiredAcl[] {
  return requiredAcls(app.buildTopology(), app.applicationId, { processingGuarantee: guarantee });
}

describe.skipIf(!kafka)('workers on a Kafka cluster with TLS, SASL and ACLs', () => {
  let admin: KafkaKit;
  const dirs: string[] = [];
  const workers: WorkerProcess[] = [];
  const stateDir = () => {
    const dir = join(tmpdir(), uniqueName('secured-state'));
    dirs.push(dir);
    return dir;
  };
  const worker = (options: Parameters<typeof WorkerProcess.start>[0]) => {
    const started = WorkerProcess.start(options);
    workers.push(started);
    return started;
  };
  /** Topics of one test, created by the admin, and the environment the fixtures read their names from. */
  const shoutTopics = async () => {
    const [input, output, app] = [uniqueName('shout-in'), uniqueName('shout-out'), uniqueName('shout')];
    await admin.createTopics({ [input]: 2, [output]: 2 });
    return { input, output, app, env: { SHOUT_INPUT: input, SHOUT_OUTPUT: output, SHOUT_APP_ID: app } };
  };

  beforeAll(() => {
    admin = kitAs(kafka!, 'admin');
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await admin.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('runs an application over SASL_SSL with PLAIN, granted exactly the ACLs `tributary acls` lists', async () => {
    const [words, counts, app] = [uniqueName('words'), uniqueName('counts'), uniqueName('word-count')];
    await admin.createTopics({ [words]: 2, [counts]: 2 });
    const env = { WORDS_TOPIC: words, COUNTS_TOPIC: counts, WORD_COUNT_APP_ID: app };
    await grantAcls(adminLogin(kafka!), 'User:bob', aclsOf(wordCount(env), 'at-least-once'));
    await admin.produce(words, string, string, wordRecords(0, 60, 5));

    const { brokers, env: login } = connectionAs(kafka!, 'bob-plain');
    const bob = worker({
      topologies: [wordCountApp],
      brokers,
      stateDir: stateDir(),
      env: { ...env, ...login },
      name: 'bob',
    });
    const security = await bob.waitForLog((l) => l.msg === 'Kafka connection security');
    expect(security.kafka).toBe(`SASL_SSL, PLAIN, as SASL user "bob", CA ${kafka!.files.ca}`);
    const expected = expectedCounts(60, 5);
    await admin.readUntil(counts, (records) => {
      const latest = new Map(records.map((r) => [string.deserialize(r.key!), long.deserialize(r.value!)]));
      return [...expected].every(([word, count]) => latest.get(word) === count);
    });
    expect(await bob.stop()).toBe(0);
    // The password was in the environment only: no log line holds it.
    expect(JSON.stringify(bob.logs) + bob.other.join('\n')).not.toContain(kafka!.files.users.bob.password);
  });

  it('fails within seconds on a wrong password, with exit code 2 and an error naming the user and the settings', async () => {
    const topics = await shoutTopics();
    const { brokers, env: login } = connectionAs(kafka!, 'alice-scram-256');
    const wrong = 'not-alices-password-123';
    const started = Date.now();
    const alice = worker({
      topologies: [shoutApp],
      brokers,
      stateDir: stateDir(),
      env: { ...topics.env, ...login, KAFKA_SASL_PASSWORD: wrong },
      name: 'wrong password',
    });
    expect(await alice.exited).toBe(2);
    // The client's own retries would take half a minute and more: a refused login is not retried.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(alice.logs.some((l) => l.msg.startsWith('worker failed: Kafka refused the credentials'))).toBe(
      true,
    );
    expect(JSON.stringify(alice.logs)).toMatch(
      /Kafka refused the credentials of SASL user \\"alice\\": SASL SCRAM SHA256 authentication failed: [^;]*; check the user name \(--kafka-sasl-username\), the password \(KAFKA_SASL_PASSWORD or --kafka-sasl-password-file\)/,
    );
    expect(JSON.stringify(alice.logs) + alice.other.join('\n')).not.toContain(wrong);
  });

  it.each<{
    missing: string;
    guarantee: ProcessingGuarantee;
    /** The ACLs granted instead of those listed. */
    grant: (acls: RequiredAcl[]) => RequiredAcl[];
    error: (topics: { output: string; app: string }) => RegExp;
  }>([
    {
      missing: 'WRITE on its sink topic',
      guarantee: 'at-least-once',
      // Allowed to see the topic, not to write to it.
      grant: (acls) =>
        acls.map((acl) => (acl.why === 'sink topic' ? { ...acl, operations: ['DESCRIBE'] } : acl)),
      error: ({ output }) =>
        new RegExp(
          `Kafka refused WRITE on topic "${output}" to SASL user "alice" \\(TOPIC_AUTHORIZATION_FAILED\\).*--operation Write --topic ${output};`,
        ),
    },
    {
      missing: 'WRITE on its transactional ids',
      guarantee: 'exactly-once',
      grant: (acls) => acls.filter((acl) => acl.resourceType !== 'transactional-id'),
      error: ({ app }) =>
        new RegExp(
          // The worker's one transactional producer: <application id>-<process id>-1.
          `Kafka refused WRITE on transactional-id "${app}-[0-9a-f-]{36}-1" to SASL user "alice" \\(TRANSACTIONAL_ID_AUTHORIZATION_FAILED\\)`,
        ),
    },
  ])(
    'stops with exit code 2 and an error naming the resource and the operation when its principal lacks $missing',
    async ({ guarantee, grant, error }) => {
      const topics = await shoutTopics();
      const listed = aclsOf(shout(topics.env), guarantee);
      const granted = grant(listed);
      expect(granted).not.toEqual(listed);
      await grantAcls(adminLogin(kafka!), 'User:alice', granted);
      await admin.produce(topics.input, string, string, [{ key: 'k', value: 'hello' }]);
      const { brokers, env: login } = connectionAs(kafka!, 'alice-scram-256');
      const alice = worker({
        topologies: [shoutApp],
        brokers,
        stateDir: stateDir(),
        flags: { guarantee },
        env: { ...topics.env, ...login },
        name: `alice (${guarantee})`,
      });
      expect(await alice.exited).toBe(2);
      const errors = alice.logs.filter((l) => l.level >= 50).map((l) => l.msg);
      expect(errors.join('\n')).toMatch(error(topics));
    },
  );

  it('names a topic the principal may not even see, rather than calling it missing', async () => {
    const hidden = uniqueName('hidden');
    await admin.createTopics({ [hidden]: 1 });
    const alice = kitAs(kafka!, 'alice-scram-512');
    try {
      const refused = await alice.admin.partitionCounts([hidden]).catch((e: Error) => e);
      expect(refused).toBeInstanceOf(KafkaAuthorizationError);
      expect((refused as Error).message).toMatch(
        new RegExp(
          `^Kafka refused DESCRIBE on topic "${hidden}" to SASL user "alice" .*Grant READ on the topics the application reads and WRITE on those it writes`,
        ),
      );
      // Kafka answers the same for a topic that does not exist: the principal may not know either way.
      expect(await alice.admin.partitionCounts([`${hidden}-absent`]).catch((e: Error) => e)).toBeInstanceOf(
        KafkaAuthorizationError,
      );
    } finally {
      await alice.close();
    }
  });

  it('runs `tributary start` over mTLS, and serves HTTPS that asks for a token', async () => {
    const topics = await shoutTopics();
    await grantAcls(adminLogin(kafka!), 'User:carol', aclsOf(shout(topics.env), 'at-least-once'));
    const certs = new TestCertificates('HTTP test CA');
    try {
      const server = certs.issue('worker', ['IP:127.0.0.1']);
      const token = 'operator-token-0123456789abcdef';
      const endpoint = await freeEndpoint();
      const { brokers, env: login } = connectionAs(kafka!, 'carol-mtls');
      const carol = worker({
        command: 'start',
        topologies: [shoutApp],
        brokers,
        stateDir: stateDir(),
        http: endpoint,
        env: {
          ...topics.env,
          ...login,
          TRIBUTARY_HTTP_TLS_CERT: server.certFile,
          TRIBUTARY_HTTP_TLS_KEY: server.keyFile,
          TRIBUTARY_HTTP_TOKENS: `${token} queries,metrics`,
        },
        name: 'carol',
      });
      const security = await carol.waitForLog((l) => l.msg === 'Kafka connection security');
      expect(security.kafka).toBe(`SSL, as the client certificate CN=carol, CA ${kafka!.files.ca}`);
      await admin.produce(topics.input, string, string, [{ key: 'k1', value: 'quiet' }]);
      const output = await admin.readUntil(topics.output, (records) => records.length >= 1);
      expect(string.deserialize(output[0]!.value!)).toBe('QUIET');

      const get = (path: string, withToken: boolean) =>
        new Promise<number>((resolve, reject) => {
          const req = request(
            `https://${endpoint}${path}`,
            { ca: certs.ca, headers: withToken ? { authorization: `Bearer ${token}` } : {} },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end();
        });
      expect(await get('/stores', false)).toBe(401);
      expect(await get('/stores', true)).toBe(200);
      expect(await get('/health', false)).toBe(200);
      expect(await carol.stop()).toBe(0);
    } finally {
      certs.close();
    }
  });

  it('authenticates with OAUTHBEARER tokens from a file and from a client-credentials endpoint', async () => {
    const topic = uniqueName('oauth');
    await admin.createTopics({ [topic]: 1 });
    await grantAcls(adminLogin(kafka!), 'User:dave', [
      { resourceType: 'topic', pattern: 'literal', name: topic, operations: ['READ', 'WRITE'], why: 'test' },
      { resourceType: 'group', pattern: 'prefixed', name: 'test-reader', operations: ['READ'], why: 'test' },
    ]);
    const certs = new TestCertificates();
    const issued: string[] = [];
    const idp = createServer((req, res) => {
      req.resume();
      const ok = req.headers.authorization === `Basic ${Buffer.from('worker:idp-secret').toString('base64')}`;
      res.setHeader('content-type', 'application/json');
      if (!ok) {
        res.statusCode = 401;
        res.end(JSON.stringify({ error: 'invalid_client' }));
        return;
      }
      const token = signedToken(kafka!, 'dave', 300);
      issued.push(token);
      res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 300 }));
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    const common = { KAFKA_TLS_CA: kafka!.files.ca, KAFKA_SASL_MECHANISM: 'OAUTHBEARER' };
    const tokenFile = certs.file('token', `${signedToken(kafka!, 'dave')}\n`);
    const settings = [
      { ...common, KAFKA_OAUTH_TOKEN_FILE: tokenFile },
      {
        ...common,
        KAFKA_OAUTH_TOKEN_ENDPOINT: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/token`,
        KAFKA_OAUTH_CLIENT_ID: 'worker',
        KAFKA_OAUTH_CLIENT_SECRET: 'idp-secret',
      },
    ];
    try {
      for (const [i, env] of settings.entries()) {
        const kit = new KafkaKit(kafka!.saslSsl, silentLogger, securityFrom(env));
        try {
          await kit.produceRaw([
            {
              topic,
              partition: 0,
              key: null,
              value: Buffer.from(`via ${i}`),
              timestamp: Date.now(),
              headers: {},
            },
          ]);
          const records = await kit.readUntil(topic, (r) => r.length >= i + 1);
          expect(records.map((r) => Buffer.from(r.value!).toString())).toContain(`via ${i}`);
        } finally {
          await kit.close();
        }
      }
      expect(issued.length).toBeGreaterThan(0);
    } finally {
      idp.close();
      certs.close();
    }
  });

  it('fails at once when a certificate does not name the host connected to, or the port does not speak TLS', async () => {
    const byName = kafka!.saslSsl.replace('127.0.0.1', 'localhost');
    const { env } = connectionAs(kafka!, 'admin' satisfies Identity);
    const started = Date.now();
    const kit = new KafkaKit(byName, silentLogger, securityFrom(env));
    const refused = await kit.admin.listTopics().catch((e: Error) => e);
    await kit.close();
    expect(refused).toBeInstanceOf(KafkaTlsError);
    expect((refused as Error).message).toMatch(
      /does not name the host connected to \(it names IP Address:127\.0\.0\.1\)/,
    );
    const lenient = new KafkaKit(
      byName,
      silentLogger,
      securityFrom({ ...env, KAFKA_TLS_VERIFY_HOSTNAME: 'false' }),
    );
    expect(Array.isArray(await lenient.admin.listTopics())).toBe(true);
    await lenient.close();

    const plaintext = kafkaBrokers();
    if (plaintext) {
      const wrongPort = new KafkaKit(plaintext, silentLogger, securityFrom(env));
      const error = await wrongPort.admin.listTopics().catch((e: Error) => e);
      await wrongPort.close();
      expect((error as Error).message).toMatch(/does not speak TLS on this port/);
    }
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
