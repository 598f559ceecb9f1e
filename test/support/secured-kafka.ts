import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import type { KafkaSecurity } from '../../src/kafka/connection.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { loadWorkerConfig } from '../../src/runtime/worker/config.ts';
import { KafkaKit } from './kafka-kit.ts';
import { signedJwt } from './jwt.ts';
import type { AdminLogin } from './kafka-acls.ts';

/** What scripts/kafka/start-secured.sh wrote to security.json. */
interface SecurityFile {
  readonly ca: string;
  readonly certificates: Record<'admin' | 'carol', { cert: string; key: string }>;
  readonly users: Record<'admin' | 'alice' | 'bob', { password: string }>;
  readonly oauth: { signingKey: string; keyId: string; issuer: string; audience: string };
}

export interface SecuredKafka {
  /** The SASL_SSL listener. */
  readonly saslSsl: string;
  /** The listener that requires client certificates. */
  readonly ssl: string;
  readonly files: SecurityFile;
}

/** The secured broker the global setup started, or undefined when there is none (never under CI). */
export function securedKafka(): SecuredKafka | undefined {
  const raw = inject('securedKafka');
  if (!raw) return undefined;
  const { saslSsl, ssl, securityFile } = JSON.parse(raw) as {
    saslSsl: string;
    ssl: string;
    securityFile: string;
  };
  return { saslSsl, ssl, files: JSON.parse(readFileSync(securityFile, 'utf8')) as SecurityFile };
}

export type Identity = 'alice-scram-256' | 'alice-scram-512' | 'bob-plain' | 'carol-mtls' | 'admin';

/**
 * How a worker connects as one of the broker's identities: its bootstrap address and the settings, as
 * the environment variables an operator sets (passwords in their variables, files for the rest).
 */
export function connectionAs(
  kafka: SecuredKafka,
  who: Identity,
): { brokers: string; env: Record<string, string> } {
  const { files } = kafka;
  const sasl = (user: 'admin' | 'alice' | 'bob', mechanism: string) => ({
    brokers: kafka.saslSsl,
    env: {
      KAFKA_TLS_CA: files.ca,
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: user,
      KAFKA_SASL_PASSWORD: files.users[user].password,
    },
  });
  switch (who) {
    case 'alice-scram-256':
      return sasl('alice', 'SCRAM-SHA-256');
    case 'alice-scram-512':
      return sasl('alice', 'SCRAM-SHA-512');
    case 'bob-plain':
      return sasl('bob', 'PLAIN');
    case 'admin':
      return sasl('admin', 'SCRAM-SHA-512');
    case 'carol-mtls':
      return {
        brokers: kafka.ssl,
        env: {
          KAFKA_TLS_CA: files.ca,
          KAFKA_TLS_CERT: files.certificates.carol.cert,
          KAFKA_TLS_KEY: files.certificates.carol.key,
        },
      };
  }
}

/** The connection security the worker's settings give for these environment variables. */
export function securityFrom(env: Record<string, string>): KafkaSecurity {
  return loadWorkerConfig({ env, isTerminal: false }).kafkaSecurity;
}

/** A test kit (create topics, produce, read) connected as an identity. */
export function kitAs(kafka: SecuredKafka, who: Identity): KafkaKit {
  const { brokers, env } = connectionAs(kafka, who);
  return new KafkaKit(brokers, silentLogger, securityFrom(env));
}

export function adminLogin(kafka: SecuredKafka): AdminLogin {
  return {
    bootstrap: kafka.saslSsl,
    ca: readFileSync(kafka.files.ca, 'utf8'),
    username: 'admin',
    password: kafka.files.users.admin.password,
  };
}

/** An RS256 JWT the broker accepts for OAUTHBEARER: principal `sub`, valid for `lifetimeSeconds`. */
export function signedToken(kafka: SecuredKafka, sub: string, lifetimeSeconds = 600): string {
  const { oauth } = kafka.files;
  return signedJwt(
    oauth.signingKey,
    { sub, iss: oauth.issuer, aud: oauth.audience },
    { lifetimeSeconds, keyId: oauth.keyId },
  );
}
