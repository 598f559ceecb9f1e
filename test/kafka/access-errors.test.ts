import {
  Kafka,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { accessError, noteRefusal, rememberSecurity } from '../../src/kafka/kafkajs/access-errors.ts';
import { KafkaAuthenticationError, KafkaAuthorizationError } from '../../src/kafka/security-errors.ts';
import { Secret } from '../../src/security/secret.ts';

// kafkajs' typings leave out the constructors' real arguments (an error description, options).
const ProtocolError = KafkaJSProtocolError as unknown as new (e: object) => Error;
const NonRetriableError = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
const CoordinatorNotFound = KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error;

/** A refusal as kafkajs' retrier hands it on: the protocol error as the cause of a non-retriable one. */
function refusal(type: string, code: number): Error {
  const protocol = new ProtocolError({ type, code, retriable: false, message: 'Not authorized' });
  return new NonRetriableError(protocol, { cause: protocol });
}

describe("kafkajs' refusals, named", () => {
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'] });
  rememberSecurity([kafka], {
    protocol: 'sasl_ssl',
    tls: { verifyHostname: true },
    sasl: { mechanism: 'scram-sha-256', username: 'alice', password: new Secret('pw-never-shown', 'test') },
  });

  it('names the topic and the operation a missing ACL refused, and how to grant it', () => {
    const error = accessError(refusal('TOPIC_AUTHORIZATION_FAILED', 29), kafka, {
      topics: { names: ['emails'], operation: 'WRITE' },
    });
    expect(error).toBeInstanceOf(KafkaAuthorizationError);
    const refused = error as KafkaAuthorizationError;
    expect(refused.code).toBe('TRIB_KAFKA_AUTHORIZATION');
    expect(refused.retriable).toBe(false);
    expect(refused.operation).toBe('WRITE');
    expect(refused.resources).toEqual(['emails']);
    expect(refused.message).toBe(
      'Kafka refused WRITE on topic "emails" to SASL user "alice" (TOPIC_AUTHORIZATION_FAILED): the principal lacks an ACL. ' +
        'Grant it, e.g. kafka-acls --add --allow-principal User:<principal> --operation Write --topic emails; `tributary acls` and docs/security.md list every ACL an application needs',
    );
  });

  it('names candidates when Kafka does not say which topic, and the group and transactional id', () => {
    const topics = accessError(refusal('TOPIC_AUTHORIZATION_FAILED', 29), kafka, {
      topics: { names: ['orders', 'payments'], operation: 'READ' },
    }) as Error;
    expect(topics.message).toMatch(
      /^Kafka refused READ on one of the topics "orders", "payments" to SASL user "alice"/,
    );
    const group = accessError(refusal('GROUP_AUTHORIZATION_FAILED', 30), kafka, {
      group: { name: 'inventory', operation: 'READ' },
      topics: { names: ['orders'], operation: 'READ' },
    }) as Error;
    expect(group.message).toMatch(
      /^Kafka refused READ on group "inventory" .*--operation Read --group inventory;/,
    );
    const transactional = accessError(refusal('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53), kafka, {
      transactionalId: 'fraud-0_1',
    }) as Error;
    expect(transactional.message).toMatch(
      /^Kafka refused WRITE on transactional-id "fraud-0_1" .*--operation Write --transactional-id fraud-0_1;/,
    );
    const cluster = accessError(refusal('CLUSTER_AUTHORIZATION_FAILED', 31), kafka, {
      cluster: 'CREATE',
    }) as Error;
    expect(cluster.message).toMatch(/^Kafka refused CREATE on the cluster .*--operation Create --cluster;/);
  });

  it('turns a refused login into an authentication error that names the settings, never the password', () => {
    const error = accessError(
      new SaslError('SASL SCRAM SHA256 authentication failed: invalid credentials'),
      kafka,
    ) as Error;
    expect(error).toBeInstanceOf(KafkaAuthenticationError);
    expect(error.message).toBe(
      'Kafka refused the credentials of SASL user "alice": SASL SCRAM SHA256 authentication failed: invalid credentials; check the user name (--kafka-sasl-username), the password (KAFKA_SASL_PASSWORD or --kafka-sasl-password-file) and the mechanism (--kafka-sasl-mechanism scram-sha-256)',
    );
    expect(error.message).not.toContain('pw-never-shown');
  });

  it('recovers the refusal behind kafkajs\' "Failed to find group coordinator" from what it logged', () => {
    const notFound = new CoordinatorNotFound('Failed to find group coordinator');
    // Without a logged refusal it stays what it is: the coordinator may just be unavailable.
    expect(accessError(notFound, kafka, { transactionalId: 'shout-0_0' })).toBe(notFound);
    noteRefusal(kafka, 'Transactional Id authorization failed');
    const refused = accessError(notFound, kafka, { transactionalId: 'shout-0_0' }) as Error;
    expect(refused).toBeInstanceOf(KafkaAuthorizationError);
    expect(refused.message).toMatch(
      /^Kafka refused WRITE on transactional-id "shout-0_0" .*TRANSACTIONAL_ID_AUTHORIZATION_FAILED/,
    );
    noteRefusal(kafka, 'Not authorized to access group: Group authorization failed');
    expect(
      (accessError(notFound, kafka, { group: { name: 'shout', operation: 'READ' } }) as Error).message,
    ).toMatch(/^Kafka refused READ on group "shout"/);
  });

  it('leaves other errors as they are', () => {
    const other = refusal('NOT_COORDINATOR', 16);
    expect(accessError(other, kafka, {})).toBe(other);
  });
});
