import { Agent, request, type IncomingMessage } from 'node:http';
import { errorMessage } from '../errors.ts';
import { QueryUnavailableError } from './errors.ts';

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
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });

  constructor(self: string) {
    this.self = self;
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
        let body: unknown = text;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          // Not JSON: pass the text on.
        }
        return { status: response.statusCode ?? 502, headers: flatHeaders(response), body };
      } catch (error) {
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
      return await this.open(endpoint, pathAndQuery, { accept: 'text/event-stream' }, signal, undefined);
    } catch (error) {
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
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: hostname,
          port,
          path: pathAndQuery,
          method: 'GET',
          agent: this.agent,
          headers: { ...headers, [HOP_HEADER]: this.self },
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
