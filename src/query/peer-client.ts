import { Agent, request, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { errorMessage } from '../errors.ts';
import { peerAgent, type HttpTls } from '../http/tls.ts';
import { HttpError } from '../http/types.ts';
import type { Secret } from '../security/secret.ts';
import { QueryUnavailableError } from './errors.ts';

/** How this worker talks to the others: over HTTPS with their CA (and its own certificate), with a token. */
export interface PeerSecurity {
  readonly tls?: HttpTls;
  readonly token?: Secret;
}

/** Marks a request one worker forwards to another: the receiver answers from its own stores or says 503, never forwards again. */
export const HOP_HEADER = 'x-tributary-forwarded-by';

export interface PeerResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** How long a forwarded query may take before the owner counts as unreachable. */
const FORWARD_TIMEOUT_MS = 10_000;

/**
 * HTTP to the other workers of an application, over kept-alive connections. Forwarded requests carry
 * the hop header, so a worker whose metadata is out of date cannot bounce a query around.
 */
export class PeerClient {
  private readonly self: string;
  private readonly agent: Agent;
  private readonly https: boolean;
  private readonly token: Secret | undefined;

  constructor(self: string, security: PeerSecurity = {}) {
    this.self = self;
    this.https = security.tls !== undefined;
    this.agent = security.tls
      ? (peerAgent(security.tls) as unknown as Agent)
      : new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });
    this.token = security.token;
  }

  /** A GET answered with JSON; an unreachable worker is a 503 (its partitions are about to move). */
  async getJson(endpoint: string, pathAndQuery: string, signal?: AbortSignal): Promise<PeerResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.open(
          endpoint,
          pathAndQuery,
          { accept: 'application/json' },
          signal,
          FORWARD_TIMEOUT_MS,
        );
        const text = await readAll(response);
        refusedByPeer(endpoint, response);
        let body: unknown = text;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          // Not JSON: pass the text on.
        }
        return { status: response.statusCode ?? 502, headers: flatHeaders(response), body };
      } catch (error) {
        if (error instanceof HttpError) throw error;
        // A kept-alive connection the other side closed meanwhile: one fresh try (a GET is safe to repeat).
        if (attempt === 1 && (error as { code?: string }).code === 'ECONNRESET' && !signal?.aborted) continue;
        throw new QueryUnavailableError(`worker ${endpoint} cannot be reached: ${errorMessage(error)}`, {
          cause: error,
        });
      }
    }
  }

  /** Opens a streaming GET (server-sent events); the caller reads and closes it. */
  async stream(endpoint: string, pathAndQuery: string, signal?: AbortSignal): Promise<IncomingMessage> {
    try {
      const response = await this.open(
        endpoint,
        pathAndQuery,
        { accept: 'text/event-stream' },
        signal,
        undefined,
      );
      refusedByPeer(endpoint, response);
      return response;
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new QueryUnavailableError(`worker ${endpoint} cannot be reached: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private open(
    endpoint: string,
    pathAndQuery: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ): Promise<IncomingMessage> {
    const { hostname, port } = new URL(`http://${endpoint}`);
    const authorization = this.token ? { authorization: `Bearer ${this.token.reveal()}` } : {};
    return new Promise((resolve, reject) => {
      const req = (this.https ? httpsRequest : request)(
        {
          host: hostname,
          port,
          path: pathAndQuery,
          method: 'GET',
          agent: this.agent,
          headers: { ...headers, ...authorization, [HOP_HEADER]: this.self },
          signal,
        },
        resolve,
      );
      if (timeoutMs !== undefined)
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}

/**
 * Another worker refusing this one's credentials is a setting to fix, not the client's fault: a 502
 * that says which, instead of passing the 401 on as if the client's own token were wrong.
 */
function refusedByPeer(endpoint: string, response: IncomingMessage): void {
  const status = response.statusCode;
  if (status !== 401 && status !== 403) return;
  response.resume();
  throw new HttpError(
    502,
    `worker ${endpoint} refused the request this worker forwarded to it (HTTP ${status}): give every worker a TRIBUTARY_HTTP_PEER_TOKEN the others accept with the "queries" scope, or a client certificate they trust`,
  );
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    response.on('aborted', () => reject(new Error('the response was cut off')));
  });
}

function flatHeaders(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
