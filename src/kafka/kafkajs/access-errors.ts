import type { Kafka } from 'kafkajs';
import { TributaryError } from '../../errors.ts';
import { describeIdentity, type KafkaSecurity } from '../connection.ts';
import { KafkaAuthenticationError, KafkaAuthorizationError, type AclOperation } from '../security-errors.ts';
import { kafkaErrorType } from './convert.ts';

/** What an operation touches, so a refusal can name the resource and the operation it needed. */
export interface Access {
  readonly topics?: { readonly names: readonly string[]; readonly operation: AclOperation };
  readonly group?: { readonly name: string; readonly operation: AclOperation };
  /** A transactional id (which needs WRITE). */
  readonly transactionalId?: string;
  /** The cluster operation a CLUSTER_AUTHORIZATION_FAILED refers to. */
  readonly cluster?: AclOperation;
}

const connections = new WeakMap<Kafka, KafkaSecurity | undefined>();

/** Remembers how a client connects, so its errors can say who was refused and what to check. */
export function rememberSecurity(kafka: Kafka, security: KafkaSecurity | undefined): void {
  connections.set(kafka, security);
}

/**
 * Turns kafkajs' refusals into errors that say what to fix: a failed SASL authentication into a
 * KafkaAuthenticationError, a *_AUTHORIZATION_FAILED answer into a KafkaAuthorizationError naming
 * the resource and the operation. Anything else is returned as it is.
 */
export function accessError(error: unknown, kafka: Kafka, access: Access = {}): unknown {
  if (error instanceof TributaryError) return error;
  const security = connections.get(kafka);
  const identity = describeIdentity(security);
  if (isAuthenticationFailure(error)) return authenticationError(error, security, identity);
  const kafkaError = kafkaErrorType(error);
  const refused = (
    operation: AclOperation,
    resourceType: KafkaAuthorizationError['resourceType'],
    resources: readonly string[],
  ) =>
    new KafkaAuthorizationError({
      operation,
      resourceType,
      resources,
      identity,
      kafkaError: kafkaError!,
      cause: error,
    });
  switch (kafkaError) {
    case 'TOPIC_AUTHORIZATION_FAILED':
      return refused(access.topics?.operation ?? 'DESCRIBE', 'topic', access.topics?.names ?? []);
    case 'GROUP_AUTHORIZATION_FAILED':
      return refused(access.group?.operation ?? 'READ', 'group', access.group ? [access.group.name] : []);
    case 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED':
      return refused('WRITE', 'transactional-id', access.transactionalId ? [access.transactionalId] : []);
    case 'CLUSTER_AUTHORIZATION_FAILED':
      return refused(access.cluster ?? 'IDEMPOTENT_WRITE', 'cluster', []);
    default:
      return error;
  }
}

function isAuthenticationFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if ((current as { name?: unknown }).name === 'KafkaJSSASLAuthenticationError') return true;
    if (kafkaErrorType(current) === 'SASL_AUTHENTICATION_FAILED') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function authenticationError(
  error: unknown,
  security: KafkaSecurity | undefined,
  identity: string,
): KafkaAuthenticationError {
  const reason = (error as Error).message;
  const sasl = security?.sasl;
  const check = !sasl
    ? 'the broker expects SASL: set --kafka-sasl-mechanism and credentials'
    : sasl.mechanism === 'oauthbearer'
      ? `check that ${sasl.tokens.description} gives tokens the brokers accept (issuer, audience, expiry)`
      : `check the user name (--kafka-sasl-username), the password (KAFKA_SASL_PASSWORD or --kafka-sasl-password-file) and the mechanism (--kafka-sasl-mechanism ${sasl.mechanism})`;
  return new KafkaAuthenticationError(`Kafka refused the credentials of ${identity}: ${reason}; ${check}`, {
    cause: error,
  });
}
