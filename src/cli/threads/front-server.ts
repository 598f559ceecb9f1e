/**
 * The one HTTP endpoint of a worker process with several stream threads. Each thread serves its own
 * applications' queries on a loopback port (reaching the other threads' tasks through theirs); this
 * server, on the main thread, is what clients and other workers talk to:
 *
 * - `/health` and `/health/ready` ask every thread: healthy when all are, ready when all are;
 * - `/metrics` gathers every thread's metrics, each sample labelled `thread`;
 * - everything else (queries, metadata, application routes, the console) goes to one thread, in
 *   turn, which answers from its stores or from the thread or worker that owns the key.
 *
 * Credentials are checked by the thread that answers (the same tokens as this endpoint), so they pass
 * through unchanged.
 */
import {
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
} from 'node:http';
import type { ServerResponse } from 'node:http';
import { errorMessage } from '../../errors.ts';
import { isJsonObject } from '../../common/json.ts';
import { answerClientError } from '../../http/client-errors.ts';
import { createServer, type HttpTls } from '../../http/tls.ts';
import type { Logger } from '../../common/logger.ts';
import { mergeMetrics } from './metrics-merge.ts';

export interface ThreadEndpoint {
  readonly thread: string;
  readonly endpoint: string;
}

export interface FrontServerOptions {
  readonly host: string;
  readonly port: number;
  /** The address others reach this process at, for the log. */
  readonly advertised: string;
  readonly tls?: HttpTls;
  /** The threads serving queries now (loopback endpoints). */
  readonly threads: () => readonly ThreadEndpoint[];
  readonly logger: Logger;
}

/** How long a stop waits for requests in flight before it cuts them. */
const STOP_GRACE_MS = 2_000;
/** Headers about one hop, which the proxy sets itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'expect', 'upgrade']);

export class FrontServer {
  private readonly options: FrontServerOptions;
  private server: Server | undefined;
  private next = 0;

  constructor(options: FrontServerOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res), this.options.tls);
    server.on('clientError', answerClientError);
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const url = `${this.options.tls ? 'https' : 'http'}://${this.options.advertised}`;
    this.options.logger.info({ url }, `serving queries at ${url} for every stream thread`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const threads = this.options.threads();
    const [first] = threads;
    if (first === undefined)
      return answer(res, 503, { error: 'the stream threads are starting' }, { 'retry-after': '1' });
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    try {
      if (req.method === 'GET' && path === '/metrics') return await this.metrics(req, res, threads);
      if (req.method === 'GET' && (path === '/health' || path === '/health/ready'))
        return await this.health(req, res, threads, path === '/health/ready');
    } catch (error) {
      return answer(res, 503, { error: `a stream thread did not answer: ${errorMessage(error)}` });
    }
    this.proxy(req, res, threads[this.next++ % threads.length] ?? first);
  }

  /** Passes the request to a thread and its answer back, streamed both ways (event streams included). */
  private proxy(req: IncomingMessage, res: ServerResponse, target: ThreadEndpoint): void {
    const upstream = httpRequest(
      {
        ...address(target.endpoint),
        method: req.method,
        path: req.url,
        headers: passedOn(req.headers),
      },
      (response) => {
        res.writeHead(response.statusCode ?? 502, passedOn(response.headers));
        response.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent)
        answer(res, 503, { error: `${target.thread} cannot be reached: ${errorMessage(error)}` });
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  private async metrics(
    req: IncomingMessage,
    res: ServerResponse,
    threads: readonly ThreadEndpoint[],
  ): Promise<void> {
    const answers = await askEvery(threads, req);
    const refused = answers.find((a) => a.status !== 200);
    if (refused) return answer(res, refused.status, refused.body, refused.headers);
    const text = mergeMetrics(answers.map((a) => ({ thread: a.thread, text: a.body })));
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(text);
  }

  private async health(
    req: IncomingMessage,
    res: ServerResponse,
    threads: readonly ThreadEndpoint[],
    readiness: boolean,
  ): Promise<void> {
    const answers = await askEvery(threads, req);
    const ok = answers.every((a) => a.status === 200);
    const reports = answers.map(({ thread, body }) => {
      const parsed: unknown = JSON.parse(body);
      const fields: Record<string, unknown> = isJsonObject(parsed) ? parsed : {};
      return { thread, fields };
    });
    const body = readiness
      ? {
          ready: ok,
          applications: reports.flatMap(({ thread, fields: { applications } }) =>
            Array.isArray(applications)
              ? applications.filter(isJsonObject).map((a) => ({ thread, ...a }))
              : [],
          ),
        }
      : {
          status: ok ? 'up' : 'failed',
          threads: reports.map(({ thread, fields }) => ({ thread, ...fields })),
        };
    answer(res, ok ? 200 : 503, body, ok ? {} : { 'retry-after': '1' });
  }
}

function address(endpoint: string): { host: string; port: number } {
  const { hostname, port } = new URL(`http://${endpoint}`);
  return { host: hostname, port: Number(port) };
}

function passedOn(headers: IncomingMessage['headers']): OutgoingHttpHeaders {
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) result[name] = value;
  return result;
}

function answer(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

/** A GET to one thread, read whole. */
/** The same GET asked of every thread, each answer with the thread that gave it. */
function askEvery(
  threads: readonly ThreadEndpoint[],
  req: IncomingMessage,
): Promise<{ thread: string; status: number; headers: OutgoingHttpHeaders; body: string }[]> {
  return Promise.all(
    threads.map(async (t) => ({ thread: t.thread, ...(await get(t, req.url ?? '/', req.headers)) })),
  );
}

function get(
  target: ThreadEndpoint,
  path: string,
  headers: IncomingMessage['headers'],
): Promise<{ status: number; headers: OutgoingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { ...address(target.endpoint), method: 'GET', path, headers: passedOn(headers) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 502,
            headers: passedOn(response.headers),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}
