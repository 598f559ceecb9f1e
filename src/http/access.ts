/**
 * Who may call the worker's HTTP endpoint, and for what. Routes fall into scopes — `app` (the
 * applications' own routes, e.g. the orders API), `queries` (stores, metadata, change streams) and
 * `metrics` — and each credential grants some of them; health checks are always open.
 *
 * Credentials are bearer tokens (compared in constant time, through their SHA-256) and, with mTLS,
 * client certificates by common name. The access list is text, one credential per line:
 *
 *     # credential                        scopes (none: all)
 *     3f9a0c1e6b7d4a2f8e5c9b1a0d3e7f6a    app
 *     9b1d7e2c4a6f8e0d1c3b5a7f9e2d4c6b    app,queries,metrics
 *     cert:operator                       queries,metrics
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import { ConfigError } from '../errors.ts';
import { HttpError } from './types.ts';

export const SCOPES = ['app', 'queries', 'metrics'] as const;
export type Scope = (typeof SCOPES)[number];
/** What a route needs: a scope, or nothing (`open`: health checks, for load balancers and probes). */
export type RouteScope = Scope | 'open';

/** Shorter tokens are refused: a bearer token must not be guessable. */
const MIN_TOKEN_LENGTH = 16;
const CERT_PREFIX = 'cert:';

interface TokenEntry {
  readonly hash: Buffer;
  readonly scopes: ReadonlySet<Scope>;
}

export class AccessList {
  private readonly tokens: readonly TokenEntry[];
  private readonly certificates: ReadonlyMap<string, ReadonlySet<Scope>>;

  private constructor(tokens: readonly TokenEntry[], certificates: ReadonlyMap<string, ReadonlySet<Scope>>) {
    this.tokens = tokens;
    this.certificates = certificates;
  }

  static readonly EMPTY = new AccessList([], new Map());

  /** Parses an access list (lines, or entries separated by `;` in an environment variable). */
  static parse(text: string, where: string): AccessList {
    const tokens: TokenEntry[] = [];
    const certificates = new Map<string, ReadonlySet<Scope>>();
    const entries = text
      .split(/[\n;]/)
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line !== '');
    for (const [index, entry] of entries.entries()) {
      // A non-empty line splits into at least one word.
      const [credential = '', scopeText, ...rest] = entry.split(/\s+/);
      // Never echo a line: it holds a token.
      const at = `${where}, entry ${index + 1}`;
      if (rest.length > 0) throw new ConfigError(`${at}: expected "<credential> [scopes]", found more`);
      const scopes = parseScopes(scopeText, at);
      if (credential.startsWith(CERT_PREFIX)) {
        const name = credential.slice(CERT_PREFIX.length);
        if (name === '') throw new ConfigError(`${at}: "cert:" needs a certificate's common name`);
        certificates.set(name, scopes);
        continue;
      }
      if (credential.length < MIN_TOKEN_LENGTH)
        throw new ConfigError(`${at}: a token must have at least ${MIN_TOKEN_LENGTH} characters`);
      tokens.push({ hash: sha256(credential), scopes });
    }
    if (tokens.length === 0 && certificates.size === 0)
      throw new ConfigError(`${where} lists no token and no certificate`);
    return new AccessList(tokens, certificates);
  }

  get hasTokens(): boolean {
    return this.tokens.length > 0;
  }

  get hasCertificates(): boolean {
    return this.certificates.size > 0;
  }

  /** The scopes of a token, or undefined. Every entry is compared, in constant time, whatever matches. */
  scopesOfToken(token: string): ReadonlySet<Scope> | undefined {
    const presented = sha256(token);
    let found: ReadonlySet<Scope> | undefined;
    for (const entry of this.tokens) if (timingSafeEqual(presented, entry.hash)) found ??= entry.scopes;
    return found;
  }

  /**
   * The scopes of a verified client certificate: those listed for its common name (none when it is
   * not listed); every scope when the list names no certificate (the CA alone decides who gets in).
   */
  scopesOfCertificate(commonName: string | undefined): ReadonlySet<Scope> {
    if (this.certificates.size === 0) return ALL;
    return (commonName === undefined ? undefined : this.certificates.get(commonName)) ?? NONE;
  }
}

const ALL: ReadonlySet<Scope> = new Set(SCOPES);
const NONE: ReadonlySet<Scope> = new Set();

function parseScopes(text: string | undefined, where: string): ReadonlySet<Scope> {
  if (text === undefined || text === '*') return ALL;
  const scopes = new Set<Scope>();
  for (const scope of text.split(',')) {
    const known = SCOPES.find((name) => name === scope);
    if (known === undefined)
      throw new ConfigError(`${where}: unknown scope "${scope}"; scopes are ${SCOPES.join(', ')}`);
    scopes.add(known);
  }
  return scopes;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export interface AccessPolicy {
  readonly list: AccessList;
  /** Scopes anyone may use, without credentials (e.g. `app` for a public front end). */
  readonly publicScopes: ReadonlySet<Scope>;
  /** Client certificates are checked (the server asks for them): mTLS. */
  readonly clientCertificates: boolean;
}

/** True when the endpoint asks for credentials at all. */
export function requiresCredentials(policy: AccessPolicy | undefined): boolean {
  return !!policy && (policy.list.hasTokens || policy.clientCertificates);
}

/**
 * Lets a request through or throws: 401 without valid credentials (with a `WWW-Authenticate`
 * challenge), 403 when its credentials do not cover the route's scope.
 */
export function authorize(req: IncomingMessage, scope: RouteScope, policy: AccessPolicy | undefined): void {
  if (scope === 'open' || !policy || !requiresCredentials(policy) || policy.publicScopes.has(scope)) return;
  const granted = credentialScopes(req, policy);
  if (granted === 'invalid')
    throw new HttpError(401, 'the bearer token is not valid', {
      headers: { 'www-authenticate': 'Bearer realm="tributary", error="invalid_token"' },
    });
  if (!granted)
    throw new HttpError(
      401,
      `this route needs credentials (scope "${scope}"): a bearer token or a client certificate`,
      {
        headers: { 'www-authenticate': 'Bearer realm="tributary"' },
      },
    );
  if (!granted.has(scope))
    throw new HttpError(403, `these credentials do not grant the scope "${scope}" this route needs`);
}

function credentialScopes(
  req: IncomingMessage,
  policy: AccessPolicy,
): ReadonlySet<Scope> | 'invalid' | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = match?.[1];
    const scopes =
      token !== undefined && policy.list.hasTokens ? policy.list.scopesOfToken(token) : undefined;
    return scopes ?? 'invalid';
  }
  if (policy.clientCertificates) {
    const socket = req.socket;
    if (socket instanceof TLSSocket && socket.authorized) {
      return policy.list.scopesOfCertificate(commonNameOf(socket.getPeerCertificate().subject));
    }
  }
  return undefined;
}

/**
 * The common name of a certificate's subject. Node gives an array when the subject repeats CN, and no
 * subject at all when the peer sent no certificate, whatever its declared type says.
 */
function commonNameOf(subject: unknown): string | undefined {
  if (typeof subject !== 'object' || subject === null || !('CN' in subject)) return undefined;
  const names: unknown = subject.CN;
  const first: unknown = Array.isArray(names) ? names[0] : names;
  return typeof first === 'string' ? first : undefined;
}
