import type { Secret } from '../security/secret.ts';
import { requiresCredentials, type AccessPolicy } from './access.ts';
import type { HttpTls } from './tls.ts';

/** How the worker's HTTP endpoint is secured, and how it authenticates itself to other workers. */
export interface HttpSecurity {
  /** HTTPS; absent: plain HTTP. */
  readonly tls?: HttpTls;
  /** Who may call which routes; absent: anyone may call anything. */
  readonly access?: AccessPolicy;
  /** The bearer token sent with requests forwarded to other workers. */
  readonly peerToken?: Secret;
}

export const OPEN_HTTP: HttpSecurity = {};

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * What an operator must hear at start about the endpoint at `host`: served to the network with no
 * credentials asked, or in the clear while credentials are asked, or unable to forward to others.
 */
export function httpSecurityWarnings(host: string, security: HttpSecurity): string[] {
  const warnings: string[] = [];
  const guarded = requiresCredentials(security.access);
  if (!LOOPBACK.test(host) && !guarded)
    warnings.push(
      `the HTTP endpoint listens on ${host}, beyond this machine, and asks for NO credentials: anyone who can reach it can read every store and call every application route. Set TRIBUTARY_HTTP_TOKENS (or --http-tokens-file) and HTTPS (--http-tls-cert, --http-tls-key), or listen on 127.0.0.1`,
    );
  if (!LOOPBACK.test(host) && guarded && !security.tls)
    warnings.push(
      `the HTTP endpoint on ${host} asks for bearer tokens over plain HTTP: they cross the network in the clear. Serve HTTPS (--http-tls-cert, --http-tls-key)`,
    );
  if (security.access?.list.hasTokens && !security.peerToken && !security.access.clientCertificates)
    warnings.push(
      'the HTTP endpoint asks for tokens, but this worker has none to forward queries to other workers with: set TRIBUTARY_HTTP_PEER_TOKEN (or --http-peer-token-file) to a token with the "queries" and "app" scopes',
    );
  return warnings;
}
