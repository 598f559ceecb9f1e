import type { BaseOptions } from '@platformatic/kafka';
import { readTlsMaterial, type KafkaSecurity, type TlsMaterial } from '../connection.ts';

/** The library's `tls` and `sasl` options for a connection description, and the TLS material read for them. */
export function platformaticSecurity(security: KafkaSecurity | undefined): {
  readonly options: Pick<BaseOptions, 'tls' | 'sasl'>;
  readonly tls: TlsMaterial | undefined;
} {
  if (!security || security.protocol === 'plaintext') return { options: {}, tls: undefined };
  const tls = security.tls ? readTlsMaterial(security.tls) : undefined;
  return {
    options: {
      ...(tls
        ? {
            tls: {
              ca: tls.ca,
              cert: tls.cert,
              key: tls.key,
              passphrase: tls.passphrase,
              rejectUnauthorized: true,
              ...(tls.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
            },
            // No tlsServerName: Node sends the broker's host name in SNI (not an IP address, which
            // RFC 6066 forbids) and checks the certificate against the host, as the kafkajs adapter does.
          }
        : {}),
      ...(security.sasl ? { sasl: saslOptions(security.sasl) } : {}),
    },
    tls,
  };
}

function saslOptions(sasl: NonNullable<KafkaSecurity['sasl']>): NonNullable<BaseOptions['sasl']> {
  if (sasl.mechanism === 'oauthbearer') {
    const { tokens, extensions } = sasl;
    return {
      mechanism: 'OAUTHBEARER',
      // Asked at every authentication: the provider hands out a cached token until shortly before it expires.
      token: () => tokens.token(),
      ...(Object.keys(extensions).length > 0 ? { oauthBearerExtensions: { ...extensions } } : {}),
    };
  }
  return {
    mechanism:
      sasl.mechanism === 'plain'
        ? 'PLAIN'
        : sasl.mechanism === 'scram-sha-256'
          ? 'SCRAM-SHA-256'
          : 'SCRAM-SHA-512',
    username: sasl.username,
    // Read when the library authenticates, so the client's options never hold the password itself.
    password: () => sasl.password.reveal(),
  };
}
