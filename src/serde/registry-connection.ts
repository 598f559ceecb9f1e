/**
 * How the worker reaches a schema registry: basic auth or a bearer token, and the CA its HTTPS
 * certificate chains to. Used both by the Confluent client and by the few requests made directly.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type Agent } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { ConfigError, errorMessage } from '../errors.ts';
import type { Secret } from '../security/secret.ts';
import type { TokenProvider } from '../security/token-provider.ts';

export interface RegistrySecurity {
  /** HTTP basic auth (Confluent Cloud's API key and secret, Apicurio's users). */
  readonly basic?: { readonly username: string; readonly password: Secret };
  /** A bearer token (OAuth), asked of the provider for every request: a rotated token is picked up. */
  readonly token?: TokenProvider;
  /** PEM file of the CA the registry's certificate chains to; Node's trusted CAs when absent. */
  readonly caFile?: string;
}

type Middleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

/** An HTTPS agent that trusts the configured CA (undefined: Node's defaults do). */
export function registryAgent(url: string, security: RegistrySecurity): Agent | undefined {
  if (!security.caFile || !url.startsWith('https:')) return undefined;
  let ca: string;
  try {
    ca = readFileSync(security.caFile, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      `cannot read the schema registry CA file ${security.caFile}: ${errorMessage(cause)}`,
      { cause },
    );
  }
  return new HttpsAgent({ keepAlive: true, ca }) as unknown as Agent;
}

/** The `Authorization` header value for a request, if the registry is given credentials. */
export async function registryAuthorization(security: RegistrySecurity): Promise<string | undefined> {
  if (security.basic)
    return `Basic ${Buffer.from(`${security.basic.username}:${security.basic.password.reveal()}`).toString('base64')}`;
  if (security.token) return `Bearer ${await security.token.token()}`;
  return undefined;
}

/** The Confluent client's middleware that adds the credentials to every request. */
export function authorizationMiddleware(security: RegistrySecurity): Middleware | undefined {
  if (!security.basic && !security.token) return undefined;
  return () => ({
    async prepareRequest(next) {
      const request = await next();
      const authorization = await registryAuthorization(security);
      return authorization ? request.enhance({ headers: { authorization } }) : request;
    },
  });
}

/** A GET through the same agent and credentials as the client; answers the status and the body text. */
export async function registryGet(
  url: string,
  headers: Record<string, string>,
  security: RegistrySecurity,
  agent: Agent | undefined,
): Promise<{ status: number; text: string }> {
  const authorization = await registryAuthorization(security);
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        headers: { ...headers, ...(authorization ? { authorization } : {}) },
        ...(agent ? { agent } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end();
  });
}
