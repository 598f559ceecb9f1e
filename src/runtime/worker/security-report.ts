import { httpSecurityWarnings } from '../../http/security.ts';
import { describeSecurity } from '../../kafka/connection.ts';
import type { Logger } from '../../common/logger.ts';
import type { WorkerConfig } from './config.ts';

/**
 * Says at start how the worker's connections are secured (never with a secret in it), and warns
 * loudly about what is open that should not be: an HTTP endpoint on the network without
 * credentials, passwords in the clear, hostname verification turned off.
 */
export function reportSecurity(config: WorkerConfig, logger: Logger): void {
  const warnings: string[] = [];
  if (config.brokers) {
    const kafka = config.kafkaSecurity;
    logger.info({ kafka: describeSecurity(kafka) }, 'Kafka connection security');
    if (kafka.protocol === 'sasl_plaintext' && kafka.sasl?.mechanism === 'plain')
      warnings.push('SASL PLAIN over SASL_PLAINTEXT sends the Kafka password in the clear: use SASL_SSL');
    if (kafka.tls && !kafka.tls.verifyHostname)
      warnings.push(
        'hostname verification of Kafka brokers is OFF: any certificate from the CA is taken for any broker (a man in the middle with one goes unnoticed)',
      );
  }
  if (config.schemaRegistryUrl) {
    const registry = config.schemaRegistrySecurity;
    logger.info(
      {
        url: config.schemaRegistryUrl,
        auth: registry.basic
          ? `basic (${registry.basic.username})`
          : registry.token
            ? 'bearer token'
            : 'none',
        ca: registry.caFile ?? null,
      },
      'schema registry security',
    );
  }
  if (config.http) {
    const http = config.httpSecurity;
    logger.info(
      {
        https: !!http.tls,
        tokens: !!http.access?.list.hasTokens,
        clientCertificates: !!http.access?.clientCertificates,
        public: [...(http.access?.publicScopes ?? [])],
      },
      'HTTP endpoint security',
    );
    warnings.push(...httpSecurityWarnings(config.http.host, http));
  }
  for (const warning of warnings) logger.warn({ security: true }, `WARNING: ${warning}`);
}
