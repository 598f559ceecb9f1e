/**
 * How a worker reaches Kafka, independent of any client library: the brokers, and how to secure the
 * connection (TLS, SASL). Every adapter behind `port.ts` maps this description onto its client; the
 * runtime and the settings never see a client's options.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage } from '../errors.ts';
import type { Logger } from '../common/logger.ts';
import type { Secret } from '../security/secret.ts';
import type { TokenProvider } from '../security/token-provider.ts';

/** Kafka's `security.protocol` values, in lower case. */
export type SecurityProtocol = 'plaintext' | 'ssl' | 'sasl_plaintext' | 'sasl_ssl';
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512' | 'oauthbearer';

export interface KafkaTls {
  /** PEM file with the CA certificates brokers' certificates must chain to; Node's trusted CAs when absent. */
  readonly caFile?: string;
  /** PEM files of this client's certificate and key, for brokers that require client certificates (mTLS). */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The passphrase of an encrypted key. */
  readonly keyPassword?: Secret;
  /** Check that a broker's certificate names the host connected to. On unless turned off. */
  readonly verifyHostname: boolean;
}

export type KafkaSasl =
  | {
      readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
      readonly username: string;
      readonly password: Secret;
    }
  | {
      readonly mechanism: 'oauthbearer';
      readonly tokens: TokenProvider;
      /** SASL extensions sent with the token (Confluent Cloud: `logicalCluster`, `identityPoolId`). */
      readonly extensions: Readonly<Record<string, string>>;
    };

export interface KafkaSecurity {
  readonly protocol: SecurityProtocol;
  /** Present when the protocol is `ssl` or `sasl_ssl`. */
  readonly tls?: KafkaTls;
  /** Present when the protocol is `sasl_plaintext` or `sasl_ssl`. */
  readonly sasl?: KafkaSasl;
}

export const PLAINTEXT: KafkaSecurity = { protocol: 'plaintext' };

/**
 * The Kafka client library an event log runs on (the `kafka-client` setting): kafkajs, or
 * @platformatic/kafka. Both adapters implement `port.ts` and honour the same security settings.
 */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClient = (typeof KAFKA_CLIENTS)[number];
export const DEFAULT_KAFKA_CLIENT: KafkaClient = 'kafkajs';

export interface KafkaConnection {
  readonly brokers: readonly string[];
  /** The client library; DEFAULT_KAFKA_CLIENT when absent. */
  readonly client?: KafkaClient;
  readonly clientId: string;
  /** Plaintext when absent. */
  readonly security?: KafkaSecurity;
  readonly logger: Logger;
}

/** The contents of the TLS files, as TLS clients take them. */
export interface TlsMaterial {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly passphrase?: string;
  readonly verifyHostname: boolean;
}

/** Reads the TLS files once; a file that cannot be read is a ConfigError naming it. */
export function readTlsMaterial(tls: KafkaTls): TlsMaterial {
  const read = (path: string | undefined, what: string) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (cause) {
      throw new ConfigError(`cannot read the Kafka TLS ${what} file ${path}: ${errorMessage(cause)}`, {
        cause,
      });
    }
  };
  return {
    ca: read(tls.caFile, 'CA'),
    cert: read(tls.certFile, 'certificate'),
    key: read(tls.keyFile, 'key'),
    passphrase: tls.keyPassword?.reveal(),
    verifyHostname: tls.verifyHostname,
  };
}

/** Who the brokers see this client as, for messages: `SASL user "alice"`, `the certificate CN=carol`. */
export function describeIdentity(security: KafkaSecurity | undefined): string {
  const sasl = security?.sasl;
  if (sasl && sasl.mechanism !== 'oauthbearer') return `SASL user "${sasl.username}"`;
  if (sasl) return `the OAuth token from ${sasl.tokens.description}`;
  const certFile = security?.tls?.certFile;
  if (certFile) {
    try {
      return `the client certificate ${new X509Certificate(readFileSync(certFile)).subject.replace(/\n/g, ', ')}`;
    } catch {
      return `the client certificate in ${certFile}`;
    }
  }
  return 'an anonymous client (no SASL, no client certificate)';
}

/** One line for the start log: protocol, mechanism, identity, CA. No secret in it. */
export function describeSecurity(security: KafkaSecurity | undefined): string {
  if (!security || security.protocol === 'plaintext') return 'PLAINTEXT (no TLS, no authentication)';
  const parts: string[] = [security.protocol.toUpperCase()];
  if (security.sasl) parts.push(security.sasl.mechanism.toUpperCase());
  parts.push(`as ${describeIdentity(security)}`);
  if (security.tls) {
    parts.push(security.tls.caFile ? `CA ${security.tls.caFile}` : "Node's trusted CAs");
    if (!security.tls.verifyHostname) parts.push('HOSTNAME VERIFICATION OFF');
  }
  return parts.join(', ');
}
