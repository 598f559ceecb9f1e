// The @platformatic/kafka adapter on the secured broker: the same TLS and SASL settings as the kafkajs
// adapter (test/integration/secured-kafka.test.ts runs workers on that one), each identity reading
// back what it wrote, and refusals turned into errors that name who was refused and what to grant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes } from 'tributary';
import { KafkaAuthenticationError, KafkaAuthorizationError } from '../../src/kafka/security-errors.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { TestCertificates } from '../support/certificates.ts';
import { grantAcls } from '../support/kafka-acls.ts';
import { KafkaKit, uniqueName } from '../support/kafka-kit.ts';
import {
  adminLogin,
  connectionAs,
  securedKafka,
  securityFrom,
  signedToken,
  type Identity,
} from '../support/secured-kafka.ts';

const kafka = securedKafka();
const string = Serdes.String();

/** A kit whose event log runs on @platformatic/kafka, connected with the settings of these variables. */
function platformaticKit(brokers: string, env: Record<string, string>): KafkaKit {
  return new KafkaKit(brokers, silentLogger, securityFrom(env), 'platformatic');
}

describe.skipIf(!kafka)('the @platformatic/kafka adapter on a cluster with TLS, SASL and ACLs', () => {
  let admin: KafkaKit;
  const certs = new TestCertificates();

  beforeAll(() => {
    const { brokers, env } = connectionAs(kafka!, 'admin');
    admin = platformaticKit(brokers, env);
  });
  afterAll(async () => {
    await admin.close();
  });

  /** A topic `principal` may read and write. */
  const grantedTopic = async (principal: string) => {
    const topic = uniqueName('secured-platformatic');
    await admin.createTopics({ [topic]: 2 });
    await grantAcls(adminLogin(kafka!), principal, [
      { resourceType: 'topic', pattern: 'literal', name: topic, operations: ['READ', 'WRITE'], why: 'test' },
    ]);
    return topic;
  };

  const roundTrip = async (kit: KafkaKit, topic: string) => {
    const values = ['one', 'two', 'three'];
    await kit.produce(
      topic,
      string,
      string,
      values.map((value) => ({ key: value, value })),
    );
    const read = await kit.readUntil(topic, (r) => r.length >= values.length);
    expect(read.map((r) => string.deserialize(r.value!)).sort()).toEqual([...values].sort());
  };

  it.each<[Identity, string]>([
    ['bob-plain', 'User:bob'],
    ['alice-scram-256', 'User:alice'],
    ['alice-scram-512', 'User:alice'],
    ['carol-mtls', 'User:carol'],
  ])('writes and reads as %s', async (identity, principal) => {
    const topic = await grantedTopic(principal);
    const { brokers, env } = connectionAs(kafka!, identity);
    const kit = platformaticKit(brokers, env);
    try {
      await roundTrip(kit, topic);
    } finally {
      await kit.close();
    }
  });

  it('writes and reads with an OAUTHBEARER token from a file', async () => {
    const topic = await grantedTopic('User:dave');
    const kit = platformaticKit(kafka!.saslSsl, {
      KAFKA_TLS_CA: kafka!.files.ca,
      KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
      KAFKA_OAUTH_TOKEN_FILE: certs.file('token', `${signedToken(kafka!, 'dave')}\n`),
    });
    try {
      await roundTrip(kit, topic);
    } finally {
      await kit.close();
    }
  });

  it('reports a wrong password as refused credentials naming the user, without the password', async () => {
    const { brokers, env } = connectionAs(kafka!, 'alice-scram-256');
    const wrong = 'not-alices-password-123';
    const kit = platformaticKit(brokers, { ...env, KAFKA_SASL_PASSWORD: wrong });
    try {
      const refused = await kit.admin.listTopics().catch((e: Error) => e);
      expect(refused).toBeInstanceOf(KafkaAuthenticationError);
      expect((refused as Error).message).toMatch(
        /^Kafka refused the credentials of SASL user "alice": .*; check the user name \(--kafka-sasl-username\)/,
      );
      expect((refused as Error).message).not.toContain(wrong);
    } finally {
      await kit.close();
    }
  });

  it('names the topic and the operation a principal was refused', async () => {
    const hidden = uniqueName('hidden');
    await admin.createTopics({ [hidden]: 1 });
    const { brokers, env } = connectionAs(kafka!, 'alice-scram-512');
    const alice = platformaticKit(brokers, env);
    try {
      const refused = await alice.admin.partitionCounts([hidden]).catch((e: Error) => e);
      expect(refused).toBeInstanceOf(KafkaAuthorizationError);
      expect((refused as Error).message).toMatch(
        new RegExp(`^Kafka refused DESCRIBE on topic "${hidden}" to SASL user "alice" `),
      );
      const write = await alice
        .produceRaw([
          { topic: hidden, partition: 0, key: null, value: null, timestamp: Date.now(), headers: {} },
        ])
        .catch((e: Error) => e);
      expect(write).toBeInstanceOf(KafkaAuthorizationError);
      expect((write as Error).message).toMatch(new RegExp(`^Kafka refused WRITE on topic "${hidden}"`));
    } finally {
      await alice.close();
    }
  });
});
