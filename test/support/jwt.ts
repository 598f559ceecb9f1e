import { createPrivateKey, createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** An RS256 JWT signed with the PEM key in `keyFile`, valid from now for `lifetimeSeconds`. */
export function signedJwt(
  keyFile: string,
  claims: Record<string, unknown>,
  options: { lifetimeSeconds?: number; keyId?: string } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = { alg: 'RS256', typ: 'JWT', ...(options.keyId ? { kid: options.keyId } : {}) };
  const unsigned = `${part(header)}.${part({ iat: now, exp: now + (options.lifetimeSeconds ?? 600), ...claims })}`;
  const signature = createSign('RSA-SHA256')
    .update(unsigned)
    .sign(createPrivateKey(readFileSync(keyFile)));
  return `${unsigned}.${signature.toString('base64url')}`;
}
