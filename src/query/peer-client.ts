import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { errnoCode } from '../common/to-error.ts';
import { errorMessage } from '../errors.ts';
import { peerAgent, type HttpTls } from '../http/tls.ts';
import { HttpError, type HttpResponse } from '../http/types.ts';
import type { Secret } from '../security/secret.ts';
import { QueryUnavailableError } from './errors.ts';

/** How this worker talks to the others: over HTTPS with their CA (and its own certificate), with a token. */
export interface PeerSecurity {
  readonly tls?: HttpTls;
  readonly token?: Secret;
  /** Endpoints reached in plain HTTP even with `tls` (the other stream threads of this process, on loopback). */
  readonly plain?: (endpoint: string) => boolean;
}

/** Marks a request one worker forwards to another: the receiver answers from its own stores or says 503, never forwards again. */
export const HOP_HEADER = 'x-tributary-forwarded-by';

export interface PeerResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A request to another worker; a body goes with its content type. */
export interface PeerRequest {
  readonly method: string;
  readonly pathAndQuery: string;
  readonly contentType?: string;
  readonly body?: string;
  readonly signal?: AbortSignal;
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
  private readonly plainAgent: Agent;
  private readonly https: boolean;
  private readonly plain: (endpoint: string) => boolean;
  private readonly token: Secret | undefined;

  constructor(self: string, security: PeerSecurity = {}) {
    this.self = self;
    this.https = security.tls !== undefined;
    this.plainAgent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });
    this.agent = security.tls ? peerAgent(security.tls) : this.plainAgent;
    this.plain = security.plain ?? (() => false);
    this.token = security.token;
  }

  /** A GET answered with JSON; an unreachable worker is a 503 (its partitions are about to move). */
  async getJson(endpoint: string, pathAndQuery: string, signal?: AbortSignal): Promise<PeerResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.exchange(endpoint, { method: 'GET', pathAndQuery, signal });
      } catch (error) {
        if (error instanceof HttpError) throw error;
        // A kept-alive connection the other side closed meanwhile: one fresh try (a GET is safe to repeat).
        if (attempt === 1 && errnoCode(error) === 'ECONNRESET' && !signal?.aborted) continue;
        throw unreachable(endpoint, error);
      }
    }
  }

  /**
   * Sends a request, with its body if it has one (an application route forwarded to a key's owner),
   * and reads the JSON answer. It is not repeated on a connection error: that is a 503, and the client
   * decides whether to ask again.
   */
  async send(endpoint: string, request: PeerRequest): Promise<PeerResponse> {
    try {
      return await this.exchange(endpoint, request);
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw unreachable(endpoint, error);
    }
  }

  /** Opens a streaming GET (server-sent events); the caller reads and closes it. */
  async stream(endpoint: string, pathAndQuery: string, signal?: AbortSignal): Promise<IncomingMessage> {
    try {
      const response = await this.open(endpoint, {
        method: 'GET',
        pathAndQuery,
        headers: { accept: 'text/event-stream' },
        signal,
      });
      refusedByPeer(endpoint, response);
      return response;
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw unreachable(endpoint, error);
    }
  }

  close(): void {
    this.agent.destroy();
    this.plainAgent.destroy();
  }

  private async exchange(endpoint: string, request: PeerRequest): Promise<PeerResponse> {
    const response = await this.open(endpoint, {
      ...request,
      headers: {
        accept: 'application/json',
        ...(request.contentType === undefined ? {} : { 'content-type': request.contentType }),
      },
      timeoutMs: FORWARD_TIMEOUT_MS,
    });
    const text = await readAll(response);
    refusedByPeer(endpoint, response);
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: pass the text on.
    }
    return { status: response.statusCode ?? 502, headers: flatHeaders(response), body };
  }

  private open(
    endpoint: string,
    request: {
      method: string;
      pathAndQuery: string;
      headers: Record<string, string>;
      body?: string;
      signal?: AbortSignal;
      timeoutMs?: number;
    },
  ): Promise<IncomingMessage> {
    const { hostname, port } = new URL(`http://${endpoint}`);
    const authorization = this.token ? { authorization: `Bearer ${this.token.reveal()}` } : {};
    const https = this.https && !this.plain(endpoint);
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        {
          host: hostname,
          port,
          path: request.pathAndQuery,
          method: request.method,
          agent: https ? this.agent : this.plainAgent,
          headers: { ...request.headers, ...authorization, [HOP_HEADER]: this.self },
          signal: request.signal,
        },
        resolve,
      );
      const { timeoutMs } = request;
      if (timeoutMs !== undefined)
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(request.body);
    });
  }
}

function unreachable(endpoint: string, error: unknown): QueryUnavailableError {
  return new QueryUnavailableError(`worker ${endpoint} cannot be reached: ${errorMessage(error)}`, {
    cause: error,
  });
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
    `worker ${endpoint} refused the request this worker forwarded to it (HTTP ${status}): give every worker a TRIBUTARY_HTTP_PEER_TOKEN the others accept with the "queries" and "app" scopes (application routes are forwarded to a key's owner too), or a client certificate they trust`,
  );
}

/** Headers about one connection or one encoding of the body: the relaying server writes its own. */
const NOT_RELAYED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-type',
  'date',
]);

/** Another worker's answer, passed on as it came (with its Retry-After, Location and so on). */
export function relay(response: PeerResponse): HttpResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers))
    if (!NOT_RELAYED.has(name)) headers[name] = value;
  return { status: response.status, headers, body: response.body };
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
