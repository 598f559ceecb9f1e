import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { readTlsMaterial, type KafkaSecurity, type TlsMaterial } from '../connection.ts';

/** kafkajs' `ssl` and `sasl` options for a connection description, and the TLS material read for them. */
export function kafkajsSecurity(security: KafkaSecurity | undefined): {
  readonly options: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  readonly tls: TlsMaterial | undefined;
} {
  if (!security || security.protocol === 'plaintext') return { options: {}, tls: undefined };
  const tls = security.tls ? readTlsMaterial(security.tls) : undefined;
  return {
    options: {
      ...(tls ? { ssl: tlsOptions(tls) } : {}),
      ...(security.sasl ? { sasl: saslOptions(security.sasl) } : {}),
    },
    tls,
  };
}

function tlsOptions(tls: TlsMaterial): ConnectionOptions {
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    passphrase: tls.passphrase,
    rejectUnauthorized: true,
    // kafkajs sets `servername` to the broker's host name; Node then checks the certificate against it.
    ...(tls.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
  };
}

function saslOptions(sasl: NonNullable<KafkaSecurity['sasl']>): SASLOptions {
  if (sasl.mechanism === 'oauthbearer') {
    const { tokens, extensions } = sasl;
    return {
      mechanism: 'oauthbearer',
      // Asked at every authentication (new connections, re-authentication): the provider hands out
      // a cached token until shortly before it expires.
      oauthBearerProvider: async () => ({
        value: await tokens.token(),
        ...(Object.keys(extensions).length > 0 ? { extensions: { ...extensions } } : {}),
      }),
    };
  }
  const options = { mechanism: sasl.mechanism, username: sasl.username } as SASLOptions & {
    password: string;
  };
  // The password is read when kafkajs authenticates; it is not an enumerable property, so a dump of
  // the client's configuration does not show it.
  Object.defineProperty(options, 'password', { get: () => sasl.password.reveal(), enumerable: false });
  return options;
}
