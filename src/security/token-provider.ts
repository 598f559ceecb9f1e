import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { TributaryError, errorMessage } from '../errors.ts';
import { isJsonObject } from '../common/json.ts';
import type { Secret } from './secret.ts';

/**
 * Where OAuth bearer tokens come from (Kafka's OAUTHBEARER, a schema registry's bearer auth):
 * - `file`: a file another process keeps current (a sidecar, a projected Kubernetes token); read again
 *   whenever it changes.
 * - `command`: a command that prints a token, or `{"access_token": ..., "expires_in": ...}`; run
 *   again shortly before the token expires (a cloud CLI, a signer).
 * - `client-credentials`: an OAuth 2 token endpoint (Entra ID, Okta, Keycloak, Auth0, Confluent Cloud's
 *   identity providers), asked with a client id and secret; asked again shortly before expiry.
 * - `static`: one token, from a secret.
 */
export type TokenSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'command'; readonly command: string }
  | {
      readonly kind: 'client-credentials';
      readonly endpoint: string;
      readonly clientId: string;
      readonly clientSecret: Secret;
      readonly scope?: string;
    }
  | { readonly kind: 'static'; readonly token: Secret };

/** A token could not be had; the message names the source, never the token or a secret. */
export class TokenError extends TributaryError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('TRIB_TOKEN', message, { ...options, retriable: false });
  }
}

/** A token is fetched again this long before it expires, so no request goes out with a dying one. */
const REFRESH_MARGIN_MS = 60_000;
/** How long a command's token is kept when neither the command nor the token says when it expires. */
const UNKNOWN_LIFETIME_MS = 60_000;
const COMMAND_TIMEOUT_MS = 30_000;

interface Cached {
  readonly value: string;
  /** When to fetch again (ms since the epoch). */
  readonly refreshAt: number;
}

/** Hands out a valid bearer token, fetching a new one only when needed; concurrent callers share one fetch. */
export class TokenProvider {
  readonly source: TokenSource;
  private cached: Cached | undefined;
  private fetching: Promise<Cached> | undefined;
  private fileVersion: string | undefined;
  private readonly now: () => number;

  constructor(source: TokenSource, options: { now?: () => number } = {}) {
    this.source = source;
    this.now = options.now ?? Date.now;
  }

  /** Where the tokens come from, for logs and messages (no secret in it). */
  get description(): string {
    switch (this.source.kind) {
      case 'file':
        return `the token file ${this.source.path}`;
      case 'command':
        return `the token command \`${this.source.command}\``;
      case 'client-credentials':
        return `the token endpoint ${this.source.endpoint} (client "${this.source.clientId}")`;
      case 'static':
        return `the token in ${this.source.token.source}`;
    }
  }

  async token(): Promise<string> {
    if (this.cached && this.fresh(this.cached)) return this.cached.value;
    this.fetching ??= this.fetch().finally(() => (this.fetching = undefined));
    this.cached = await this.fetching;
    return this.cached.value;
  }

  toJSON(): string {
    return this.description;
  }

  private fresh(cached: Cached): boolean {
    if (this.source.kind === 'file') return this.fileVersion === fileVersion(this.source.path);
    return this.now() < cached.refreshAt;
  }

  private async fetch(): Promise<Cached> {
    const source = this.source;
    switch (source.kind) {
      case 'static':
        return { value: source.token.reveal(), refreshAt: Number.POSITIVE_INFINITY };
      case 'file': {
        const version = fileVersion(source.path);
        let content: string;
        try {
          content = await readFile(source.path, 'utf8');
        } catch (cause) {
          throw new TokenError(`cannot read ${this.description}: ${errorMessage(cause)}`, { cause });
        }
        const value = content.trim();
        if (value === '') throw new TokenError(`${this.description} is empty`);
        this.fileVersion = version;
        return { value, refreshAt: Number.POSITIVE_INFINITY };
      }
      case 'command':
        return this.fromResponse(await this.runCommand(source.command), 'the token command');
      case 'client-credentials':
        return this.fromResponse(await this.askEndpoint(source), `the token endpoint ${source.endpoint}`);
    }
  }

  /** A token with a known lifetime is kept until shortly before it expires. */
  private fromResponse(text: string, what: string): Cached {
    const trimmed = text.trim();
    let value = trimmed;
    let expiresAt: number | undefined;
    if (trimmed.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch (cause) {
        throw new TokenError(`${what} answered with JSON that does not parse: ${errorMessage(cause)}`);
      }
      const body: Record<string, unknown> = isJsonObject(parsed) ? parsed : {};
      const token = body.access_token ?? body.token;
      if (typeof token !== 'string' || token === '')
        throw new TokenError(`${what} answered without an "access_token"`);
      value = token;
      if (typeof body.expires_in === 'number') expiresAt = this.now() + body.expires_in * 1000;
    }
    if (value === '') throw new TokenError(`${what} gave an empty token`);
    expiresAt ??= jwtExpiry(value);
    const now = this.now();
    const refreshAt =
      expiresAt === undefined
        ? now + UNKNOWN_LIFETIME_MS
        : Math.max(now, expiresAt - Math.min(REFRESH_MARGIN_MS, (expiresAt - now) / 10));
    return { value, refreshAt };
  }

  private runCommand(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        '/bin/sh',
        ['-c', command],
        { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const detail = stderr.trim().split('\n').at(-1)?.slice(0, 300) || errorMessage(error);
          reject(new TokenError(`${this.description} failed: ${detail}`, { cause: error }));
        },
      );
    });
  }

  private async askEndpoint(source: Extract<TokenSource, { kind: 'client-credentials' }>): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (source.scope) form.set('scope', source.scope);
    const basic = Buffer.from(
      `${encodeURIComponent(source.clientId)}:${encodeURIComponent(source.clientSecret.reveal())}`,
    ).toString('base64');
    let response: Response;
    try {
      response = await fetch(source.endpoint, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
      });
    } catch (cause) {
      throw new TokenError(`cannot reach ${this.description}: ${errorMessage(cause)}`, { cause });
    }
    const text = await response.text();
    if (!response.ok) {
      // OAuth errors say what is wrong (`invalid_client`, `invalid_scope`) without echoing secrets.
      let reason = `HTTP ${response.status}`;
      try {
        const parsed: unknown = JSON.parse(text);
        const body: Record<string, unknown> = isJsonObject(parsed) ? parsed : {};
        if (typeof body.error === 'string')
          reason += `: ${body.error}${typeof body.error_description === 'string' ? ` (${body.error_description})` : ''}`;
      } catch {
        // not JSON: the status is all we report
      }
      throw new TokenError(`${this.description} refused to issue a token: ${reason}`);
    }
    return text;
  }
}

/** The `exp` claim of a JWT, in ms since the epoch; undefined for a token that is not a JWT. */
export function jwtExpiry(token: string): number | undefined {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

/** A JWT's claims (unverified: for naming the principal in messages only). */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const [, payload, ...rest] = token.split('.');
  if (payload === undefined || rest.length !== 1) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return isJsonObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

function fileVersion(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch {
    return undefined;
  }
}
