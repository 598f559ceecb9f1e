import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/security/secret.ts';
import { TokenProvider, jwtExpiry } from '../../src/security/token-provider.ts';
import { TestCertificates } from '../support/certificates.ts';

/** An unsigned JWT with the given expiry (the provider only reads `exp`, to know when to refresh). */
function jwt(expSeconds: number, sub = 'svc'): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ sub, exp: expSeconds })}.`;
}

describe('OAuth token providers', () => {
  const files = new TestCertificates();
  afterAll(() => files.close());

  it('reads a token file again whenever it changes, and only then', async () => {
    const path = files.file('token', 'first-token\n');
    const provider = new TokenProvider({ kind: 'file', path });
    expect(await provider.token()).toBe('first-token');
    expect(await provider.token()).toBe('first-token');
    files.file('token', 'second-token-longer\n');
    expect(await provider.token()).toBe('second-token-longer');
    files.file('token', '');
    await expect(provider.token()).rejects.toThrow(/the token file .*token is empty/);
  });

  it('runs a command once per token lifetime: JSON with expires_in, or a JWT with exp', async () => {
    let now = 1_000_000_000_000;
    const counter = files.file('runs', '');
    const command = `echo x >> ${counter}; printf '{"access_token":"tok-%s","expires_in":600}' $(wc -l < ${counter})`;
    const provider = new TokenProvider({ kind: 'command', command }, { now: () => now });
    expect(await provider.token()).toBe('tok-1');
    now += 500_000; // still more than a minute before expiry
    expect(await provider.token()).toBe('tok-1');
    now += 60_000; // within the last minute: fetched again
    expect(await provider.token()).toBe('tok-2');

    const expiry = Math.floor(now / 1000) + 3600;
    const jwtProvider = new TokenProvider(
      { kind: 'command', command: `echo '${jwt(expiry)}'` },
      { now: () => now },
    );
    expect(jwtExpiry(await jwtProvider.token())).toBe(expiry * 1000);
    await expect(
      new TokenProvider({ kind: 'command', command: 'echo denied >&2; exit 3' }).token(),
    ).rejects.toThrow(/the token command `echo denied >&2; exit 3` failed: denied/);
  });

  it('asks a token endpoint with client credentials, and says why it refused without showing the secret', async () => {
    const requests: { authorization?: string; body: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        requests.push({ authorization: req.headers.authorization, body });
        const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
          .toString()
          .split(':');
        res.setHeader('content-type', 'application/json');
        if (id === 'worker' && secret === 'the%20secret') {
          res.end(JSON.stringify({ access_token: 'issued', token_type: 'Bearer', expires_in: 3600 }));
        } else {
          res.statusCode = 401;
          res.end(JSON.stringify({ error: 'invalid_client', error_description: 'bad client credentials' }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    try {
      const good = new TokenProvider({
        kind: 'client-credentials',
        endpoint,
        clientId: 'worker',
        clientSecret: new Secret('the secret', 'test'),
        scope: 'kafka',
      });
      expect(await good.token()).toBe('issued');
      expect(await good.token()).toBe('issued');
      expect(requests).toHaveLength(1);
      expect(new URLSearchParams(requests[0]!.body).get('grant_type')).toBe('client_credentials');
      expect(new URLSearchParams(requests[0]!.body).get('scope')).toBe('kafka');

      const bad = new TokenProvider({
        kind: 'client-credentials',
        endpoint,
        clientId: 'worker',
        clientSecret: new Secret('wrong secret value', 'test'),
      });
      const error = await bad.token().catch((e: Error) => e);
      expect((error as Error).message).toMatch(
        /the token endpoint .*\/token \(client "worker"\) refused to issue a token: HTTP 401: invalid_client \(bad client credentials\)/,
      );
      expect((error as Error).message).not.toContain('wrong secret value');
      expect(JSON.stringify(bad)).toBe(`"the token endpoint ${endpoint} (client \\"worker\\")"`);
    } finally {
      server.close();
    }
  });
});
