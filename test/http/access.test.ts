import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AccessList, authorize, type AccessPolicy, type Scope } from '../../src/http/access.ts';
import { httpSecurityWarnings } from '../../src/http/security.ts';
import type { HttpError } from '../../src/http/types.ts';

const TOKEN_A = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const TOKEN_B = 'bbbbbbbbbbbbbbbbbbbbbbbb';

const request = (authorization?: string) =>
  ({ headers: authorization ? { authorization } : {}, socket: {} }) as unknown as IncomingMessage;

function status(fn: () => void): number {
  try {
    fn();
    return 200;
  } catch (error) {
    return (error as HttpError).status;
  }
}

describe('the HTTP access list', () => {
  it('reads tokens with their scopes (none: all), comments and ;-separated entries', () => {
    const list = AccessList.parse(`# who\n${TOKEN_A} app\n\n${TOKEN_B}   # every scope\n`, 'list');
    expect([...list.scopesOfToken(TOKEN_A)!]).toEqual(['app']);
    expect([...list.scopesOfToken(TOKEN_B)!].sort()).toEqual(['app', 'metrics', 'queries']);
    expect(list.scopesOfToken(`${TOKEN_A}x`)).toBeUndefined();
    expect(list.scopesOfToken(TOKEN_A.slice(1))).toBeUndefined();
    const fromEnv = AccessList.parse(`${TOKEN_A} queries;${TOKEN_B} app,metrics`, 'TRIBUTARY_HTTP_TOKENS');
    expect([...fromEnv.scopesOfToken(TOKEN_B)!]).toEqual(['app', 'metrics']);
  });

  it('refuses weak tokens and unknown scopes, naming the entry but not showing it', () => {
    expect(() => AccessList.parse('short app', 'TRIBUTARY_HTTP_TOKENS')).toThrow(
      /^TRIBUTARY_HTTP_TOKENS, entry 1: a token must have at least 16 characters$/,
    );
    expect(() => AccessList.parse(`${TOKEN_A} app\n${TOKEN_B} stores`, 'tokens.txt')).toThrow(
      /^tokens.txt, entry 2: unknown scope "stores"; scopes are app, queries, metrics$/,
    );
    expect(() => AccessList.parse('# nothing\n', 'tokens.txt')).toThrow(/lists no token and no certificate/);
  });

  it('answers 401 without or with a wrong token, 403 for another scope, and lets open and public routes through', () => {
    const policy: AccessPolicy = {
      list: AccessList.parse(`${TOKEN_A} app`, 'list'),
      publicScopes: new Set<Scope>(['metrics']),
      clientCertificates: false,
    };
    expect(status(() => authorize(request(), 'app', policy))).toBe(401);
    expect(status(() => authorize(request(`Bearer ${TOKEN_B}`), 'app', policy))).toBe(401);
    expect(status(() => authorize(request(`Basic ${TOKEN_A}`), 'app', policy))).toBe(401);
    expect(status(() => authorize(request(`Bearer ${TOKEN_A}`), 'queries', policy))).toBe(403);
    expect(status(() => authorize(request(`Bearer ${TOKEN_A}`), 'app', policy))).toBe(200);
    expect(status(() => authorize(request(), 'open', policy))).toBe(200);
    expect(status(() => authorize(request(), 'metrics', policy))).toBe(200);
    expect(status(() => authorize(request(), 'queries', undefined))).toBe(200);
  });

  it('warns loudly about an endpoint open to the network, tokens in the clear, and no token to forward with', () => {
    expect(httpSecurityWarnings('127.0.0.1', {})).toEqual([]);
    expect(httpSecurityWarnings('0.0.0.0', {})[0]).toMatch(
      /listens on 0\.0\.0\.0, beyond this machine, and asks for NO credentials/,
    );
    const tokens: AccessPolicy = {
      list: AccessList.parse(TOKEN_A, 'list'),
      publicScopes: new Set(),
      clientCertificates: false,
    };
    const warnings = httpSecurityWarnings('10.0.0.5', { access: tokens });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/bearer tokens over plain HTTP/);
    expect(warnings[1]).toMatch(/TRIBUTARY_HTTP_PEER_TOKEN/);
  });
});
