/**
 * The settings that secure a worker's connections: TLS and SASL to Kafka, credentials and a CA for the
 * schema registry, TLS and authentication of the HTTP endpoint. Rows of the one settings table
 * (settings.ts); read into the configuration by security-config.ts. Secrets are never taken from a flag
 * or the config file, only from an environment variable (`valueEnv`) or a file they name.
 */
import type { Setting } from './settings.ts';
import { boolean, httpUrl, keyValues, list, oneOf, readableFile, text } from './setting-parsers.ts';

const none = () => undefined;

/** A setting whose value is the path of a file (PEM, a token file). */
const file = (
  flag: string,
  env: string,
  key: string,
  meaning: string,
  fallback = 'none',
): Setting<string | undefined> => ({
  flag,
  env,
  file: key,
  parse: readableFile,
  fallback: none,
  help: { value: '<file>', meaning, default: fallback },
});

/** A secret: the value in `valueEnv`, or a file named by the flag, `env` or the config file. */
const secret = (
  flag: string,
  valueEnv: string,
  key: string,
  meaning: string,
): Setting<string | undefined> => ({
  ...file(flag, `${valueEnv}_FILE`, key, `${meaning}, from a file (or the value in ${valueEnv})`),
  valueEnv,
});

const plain = (flag: string, env: string, key: string, value: string, meaning: string) =>
  ({
    flag,
    env,
    file: key,
    parse: text,
    fallback: none,
    help: { value, meaning, default: 'none' },
  }) as Setting<string | undefined>;

export const SECURITY_SETTINGS = {
  kafkaSecurityProtocol: {
    flag: 'kafka-security-protocol',
    env: 'KAFKA_SECURITY_PROTOCOL',
    file: 'kafkaSecurityProtocol',
    parse: (raw: unknown, where: string) =>
      oneOf(
        'plaintext',
        'ssl',
        'sasl_plaintext',
        'sasl_ssl',
      )(typeof raw === 'string' ? raw.replace(/-/g, '_') : raw, where),
    fallback: none,
    help: {
      value: '<protocol>',
      meaning: 'PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL',
      default: 'SASL_SSL with a SASL mechanism, SSL with TLS files, else PLAINTEXT',
    },
  } as Setting<'plaintext' | 'ssl' | 'sasl_plaintext' | 'sasl_ssl' | undefined>,
  kafkaTlsCa: file(
    'kafka-tls-ca',
    'KAFKA_TLS_CA',
    'kafkaTlsCa',
    'CA certificates (PEM) of the brokers',
    "Node's trusted CAs",
  ),
  kafkaTlsCert: file('kafka-tls-cert', 'KAFKA_TLS_CERT', 'kafkaTlsCert', 'client certificate (PEM) for mTLS'),
  kafkaTlsKey: file('kafka-tls-key', 'KAFKA_TLS_KEY', 'kafkaTlsKey', 'client key (PEM) for mTLS'),
  kafkaTlsKeyPassword: secret(
    'kafka-tls-key-password-file',
    'KAFKA_TLS_KEY_PASSWORD',
    'kafkaTlsKeyPasswordFile',
    "the client key's passphrase",
  ),
  kafkaTlsVerifyHostname: {
    flag: 'kafka-tls-verify-hostname',
    env: 'KAFKA_TLS_VERIFY_HOSTNAME',
    file: 'kafkaTlsVerifyHostname',
    parse: boolean,
    fallback: () => true,
    help: { value: '<bool>', meaning: "check brokers' certificates name their host", default: 'true' },
  } as Setting<boolean>,
  kafkaSaslMechanism: {
    flag: 'kafka-sasl-mechanism',
    env: 'KAFKA_SASL_MECHANISM',
    file: 'kafkaSaslMechanism',
    parse: oneOf('plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'),
    fallback: none,
    help: {
      value: '<mechanism>',
      meaning: 'PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER',
      default: 'none',
    },
  } as Setting<'plain' | 'scram-sha-256' | 'scram-sha-512' | 'oauthbearer' | undefined>,
  kafkaSaslUsername: plain(
    'kafka-sasl-username',
    'KAFKA_SASL_USERNAME',
    'kafkaSaslUsername',
    '<name>',
    'SASL user (PLAIN, SCRAM)',
  ),
  kafkaSaslPassword: secret(
    'kafka-sasl-password-file',
    'KAFKA_SASL_PASSWORD',
    'kafkaSaslPasswordFile',
    'SASL password',
  ),
  kafkaOauthTokenFile: file(
    'kafka-oauth-token-file',
    'KAFKA_OAUTH_TOKEN_FILE',
    'kafkaOauthTokenFile',
    'OAUTHBEARER: a token file, read again when it changes',
  ),
  kafkaOauthTokenCommand: plain(
    'kafka-oauth-token-command',
    'KAFKA_OAUTH_TOKEN_COMMAND',
    'kafkaOauthTokenCommand',
    '<command>',
    'OAUTHBEARER: a command printing a token',
  ),
  kafkaOauthTokenEndpoint: {
    ...plain(
      'kafka-oauth-token-endpoint',
      'KAFKA_OAUTH_TOKEN_ENDPOINT',
      'kafkaOauthTokenEndpoint',
      '<url>',
      'OAUTHBEARER: OAuth token endpoint (client credentials)',
    ),
    parse: httpUrl,
  },
  kafkaOauthClientId: plain(
    'kafka-oauth-client-id',
    'KAFKA_OAUTH_CLIENT_ID',
    'kafkaOauthClientId',
    '<id>',
    'OAUTHBEARER: client id at the token endpoint',
  ),
  kafkaOauthClientSecret: secret(
    'kafka-oauth-client-secret-file',
    'KAFKA_OAUTH_CLIENT_SECRET',
    'kafkaOauthClientSecretFile',
    'OAUTHBEARER: client secret',
  ),
  kafkaOauthScope: plain(
    'kafka-oauth-scope',
    'KAFKA_OAUTH_SCOPE',
    'kafkaOauthScope',
    '<scope>',
    'OAUTHBEARER: scope asked of the token endpoint',
  ),
  kafkaOauthExtensions: {
    flag: 'kafka-oauth-extensions',
    env: 'KAFKA_OAUTH_EXTENSIONS',
    file: 'kafkaOauthExtensions',
    parse: keyValues,
    fallback: () => ({}),
    help: { value: '<k=v,...>', meaning: 'OAUTHBEARER: SASL extensions', default: 'none' },
  } as Setting<Record<string, string>>,
  schemaRegistryUsername: plain(
    'schema-registry-username',
    'SCHEMA_REGISTRY_USERNAME',
    'schemaRegistryUsername',
    '<name>',
    'schema registry basic auth user',
  ),
  schemaRegistryPassword: secret(
    'schema-registry-password-file',
    'SCHEMA_REGISTRY_PASSWORD',
    'schemaRegistryPasswordFile',
    'schema registry basic auth password',
  ),
  schemaRegistryToken: secret(
    'schema-registry-token-file',
    'SCHEMA_REGISTRY_TOKEN',
    'schemaRegistryTokenFile',
    'schema registry bearer token (the file is read again when it changes)',
  ),
  schemaRegistryTlsCa: file(
    'schema-registry-tls-ca',
    'SCHEMA_REGISTRY_TLS_CA',
    'schemaRegistryTlsCa',
    'CA certificates (PEM) of the schema registry',
    "Node's trusted CAs",
  ),
  httpTlsCert: file(
    'http-tls-cert',
    'TRIBUTARY_HTTP_TLS_CERT',
    'httpTlsCert',
    'serve HTTPS with this certificate (PEM)',
  ),
  httpTlsKey: file(
    'http-tls-key',
    'TRIBUTARY_HTTP_TLS_KEY',
    'httpTlsKey',
    "the HTTPS certificate's key (PEM)",
  ),
  httpTlsCa: file(
    'http-tls-ca',
    'TRIBUTARY_HTTP_TLS_CA',
    'httpTlsCa',
    "CA of other workers' and of clients' certificates (mTLS)",
    "Node's trusted CAs; no client certificates",
  ),
  httpTokens: secret(
    'http-tokens-file',
    'TRIBUTARY_HTTP_TOKENS',
    'httpTokensFile',
    'accepted bearer tokens with their scopes',
  ),
  httpPublic: {
    flag: 'http-public',
    env: 'TRIBUTARY_HTTP_PUBLIC',
    file: 'httpPublic',
    parse: list,
    fallback: () => [],
    help: {
      value: '<scopes>',
      meaning: 'scopes served without credentials (app, queries, metrics)',
      default: 'none',
    },
  } as Setting<string[]>,
  httpPeerToken: secret(
    'http-peer-token-file',
    'TRIBUTARY_HTTP_PEER_TOKEN',
    'httpPeerTokenFile',
    'bearer token this worker sends when it forwards to another',
  ),
} satisfies Record<string, Setting<unknown>>;
