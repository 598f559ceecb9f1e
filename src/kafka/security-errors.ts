/**
 * What a secured cluster answers when a worker may not do something, or is not who it says it is,
 * as errors that name the resource, the operation and the fix. None is retriable: a missing ACL or a
 * wrong password does not heal by waiting, so the worker stops (exit code 2) instead of retrying.
 */
import { TributaryError } from '../errors.ts';
import { describeIdentity, type KafkaSecurity } from './connection.ts';

/** Kafka's ACL operations, as `kafka-acls --operation` spells them in upper case. */
export type AclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'DESCRIBE' | 'ALTER' | 'IDEMPOTENT_WRITE';
export type AclResourceType = 'topic' | 'group' | 'transactional-id' | 'cluster';

/** What an operation touches, so a refusal can name the resource and the operation it needed. */
export interface Access {
  readonly topics?: { readonly names: readonly string[]; readonly operation: AclOperation };
  readonly group?: { readonly name: string; readonly operation: AclOperation };
  /** A transactional id (which needs WRITE). */
  readonly transactionalId?: string;
  /** The cluster operation a CLUSTER_AUTHORIZATION_FAILED refers to. */
  readonly cluster?: AclOperation;
}

const ACL_FLAG: Record<AclResourceType, string> = {
  topic: '--topic',
  group: '--group',
  'transactional-id': '--transactional-id',
  cluster: '--cluster',
};

const OPERATION_FLAG: Record<AclOperation, string> = {
  READ: 'Read',
  WRITE: 'Write',
  CREATE: 'Create',
  DELETE: 'Delete',
  DESCRIBE: 'Describe',
  ALTER: 'Alter',
  IDEMPOTENT_WRITE: 'IdempotentWrite',
};

/** The cluster's authorizer refused an operation on a resource (Kafka's *_AUTHORIZATION_FAILED). */
export class KafkaAuthorizationError extends TributaryError {
  readonly operation: AclOperation;
  readonly resourceType: AclResourceType;
  /** The resource, or the candidates when Kafka's answer does not say which of them was refused. */
  readonly resources: readonly string[];

  constructor(options: {
    operation: AclOperation;
    resourceType: AclResourceType;
    resources: readonly string[];
    /** Who was refused (`SASL user "alice"`). */
    identity: string;
    /** Kafka's error code name. */
    kafkaError: string;
    cause?: unknown;
  }) {
    const { operation, resourceType, resources } = options;
    const names = resources.map((r) => `"${r}"`);
    const target =
      resourceType === 'cluster'
        ? 'the cluster'
        : names.length === 1
          ? `${resourceType} ${names[0]}`
          : `one of the ${resourceType}s ${names.join(', ')}`;
    const example =
      resourceType === 'cluster' ? '--cluster' : `${ACL_FLAG[resourceType]} ${resources[0] ?? '<name>'}`;
    // DESCRIBE comes with READ and WRITE: an application is granted those, not DESCRIBE alone.
    const grant =
      resourceType === 'topic' && operation === 'DESCRIBE'
        ? `Grant READ on the topics the application reads and WRITE on those it writes (both include DESCRIBE), e.g. kafka-acls --add --allow-principal User:<principal> --operation Read ${example}`
        : `Grant it, e.g. kafka-acls --add --allow-principal User:<principal> --operation ${OPERATION_FLAG[operation]} ${example}`;
    super(
      'TRIB_KAFKA_AUTHORIZATION',
      `Kafka refused ${operation} on ${target} to ${options.identity} (${options.kafkaError}): the principal lacks an ACL. ` +
        `${grant}; \`tributary acls\` and docs/security.md list every ACL an application needs`,
      { cause: options.cause },
    );
    this.operation = operation;
    this.resourceType = resourceType;
    this.resources = resources;
  }
}

/** The brokers refused the client's credentials (a wrong password, an expired or rejected token). */
export class KafkaAuthenticationError extends TributaryError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('TRIB_KAFKA_AUTHENTICATION', message, options);
  }
}

/** A TLS connection to a broker could not be set up: an untrusted or mismatched certificate, a refused client certificate. */
export class KafkaTlsError extends TributaryError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('TRIB_KAFKA_TLS', message, options);
  }
}

/**
 * The authorization error for one of Kafka's *_AUTHORIZATION_FAILED answers, naming the resource and
 * operation from what the refused operation touched; undefined for any other answer.
 */
export function authorizationRefused(
  kafkaError: string,
  access: Access,
  identity: string,
  cause: unknown,
): KafkaAuthorizationError | undefined {
  const refused = (operation: AclOperation, resourceType: AclResourceType, resources: readonly string[]) =>
    new KafkaAuthorizationError({ operation, resourceType, resources, identity, kafkaError, cause });
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
      return undefined;
  }
}

/** The brokers refused the credentials: says whose, and what to check. */
export function credentialsRefused(
  cause: Error,
  security: KafkaSecurity | undefined,
): KafkaAuthenticationError {
  const sasl = security?.sasl;
  const check = !sasl
    ? 'the broker expects SASL: set --kafka-sasl-mechanism and credentials'
    : sasl.mechanism === 'oauthbearer'
      ? `check that ${sasl.tokens.description} gives tokens the brokers accept (issuer, audience, expiry)`
      : `check the user name (--kafka-sasl-username), the password (KAFKA_SASL_PASSWORD or --kafka-sasl-password-file) and the mechanism (--kafka-sasl-mechanism ${sasl.mechanism})`;
  return new KafkaAuthenticationError(
    `Kafka refused the credentials of ${describeIdentity(security)}: ${cause.message}; ${check}`,
    { cause },
  );
}
