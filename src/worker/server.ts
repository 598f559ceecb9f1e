import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ConsoleRoutes } from '../console/routes.ts';
import { authorize } from '../http/access.ts';
import { announcedLength, bodyTooLarge, MAX_BODY_BYTES } from '../http/body.ts';
import { answerClientError } from '../http/client-errors.ts';
import type { HttpSecurity } from '../http/security.ts';
import { createServer } from '../http/tls.ts';
import type { AdminPort, EventLogPort } from '../kafka/port.ts';
import { errorResponse, sendResponse, toHttpRequest } from '../http/exchange.ts';
import { Router } from '../http/router.ts';
import type { HttpResponse } from '../http/types.ts';
import { Histogram, LATENCY_BUCKETS_SECONDS } from '../runtime/histogram.ts';
import type { Logger } from '../common/logger.ts';
import { toError } from '../common/to-error.ts';
import type { WireSerdes } from '../serde/registry-wire.ts';
import type { AppRunner } from '../runtime/worker/app-runner.ts';
import type { AppHttp } from '../query/api.ts';
import { addAppRoutes } from '../query/app-routes.ts';
import { streamChanges } from '../query/handlers/changes.ts';
import { health, metadata, metrics, ready, type HttpMetrics } from '../query/handlers/cluster.ts';
import { getKey, listStores, queryStore } from '../query/handlers/stores.ts';
import { TypedProducer } from '../query/producer.ts';
import { QueryService } from '../query/query-service.ts';
import type { InternalHandler } from '../query/server-types.ts';
import { fromSibling, type Siblings } from '../query/siblings.ts';
import { HOP_HEADER } from '../query/peer-client.ts';

export interface QueryServerOptions {
  readonly runners: readonly AppRunner[];
  readonly applications: readonly {
    readonly applicationId: string;
    readonly http?: AppHttp;
    readonly renameTopic?: (name: string) => string;
  }[];
  /** Where to listen, and the endpoint other workers reach this one at. */
  readonly http: { readonly host: string; readonly port: number; readonly advertised: string };
  readonly port: EventLogPort;
  readonly clientId: string;
  readonly logger: Logger;
  /** With a schema registry, records sent by application routes use its wire format. */
  readonly wireSerdes?: WireSerdes;
  /** HTTPS, who may call which routes, and the token for forwarding to other workers. */
  readonly security?: HttpSecurity;
  /**
   * This server is one stream thread's, behind the process's endpoint (`tributary run --threads`): it
   * listens on loopback in plain HTTP (the process's endpoint serves HTTPS), and reads the tasks of
   * the other threads through theirs.
   */
  readonly siblings?: Siblings;
}

/** How long a stop waits for requests in flight before it cuts them. */
const STOP_GRACE_MS = 2_000;

/**
 * A worker's HTTP server: interactive queries of its applications' stores (any key, routed to its
 * owner), metadata, health, metrics, and the applications' own routes.
 */
export class QueryServer {
  readonly service: QueryService;
  private readonly options: QueryServerOptions;
  private readonly logger: Logger;
  private readonly router = new Router<InternalHandler>();
  private readonly producer: TypedProducer;
  private readonly requestMetrics = new Map<
    string,
    { labels: Record<string, string>; histogram: Histogram }
  >();
  private server: Server | undefined;
  private readonly console: ConsoleRoutes;
  /** Opened on first use: where the log ends, for application routes that act at a key's owner. */
  private admin: AdminPort | undefined;

  constructor(options: QueryServerOptions) {
    this.options = options;
    this.logger = options.logger.child?.({ component: 'http' }) ?? options.logger;
    this.service = new QueryService({
      runners: options.runners,
      self: options.http.advertised,
      logger: this.logger,
      peers: { tls: options.security?.tls, token: options.security?.peerToken },
      siblings: options.siblings,
    });
    this.producer = new TypedProducer(options.port, options.clientId, options.wireSerdes);
    this.console = new ConsoleRoutes({
      router: this.router,
      service: this.service,
      applications: options.applications,
      port: options.port,
      clientId: options.clientId,
      logger: this.logger,
    });
    this.addWorkerRoutes();
    this.console.register();
    for (const app of options.applications) {
      if (!app.http) continue;
      addAppRoutes({
        applicationId: app.applicationId,
        http: app.http,
        renameTopic: app.renameTopic,
        router: this.router,
        service: this.service,
        producer: this.producer,
        logEnds: (topic) => this.logEnds(topic),
        logger: this.logger,
      });
    }
  }

  /** The base URL clients use (the advertised endpoint). */
  get url(): string {
    return `${this.options.security?.tls ? 'https' : 'http'}://${this.options.http.advertised}`;
  }

  /** The port it listens on, once started (the one asked for, or the one chosen for port 0). */
  get listeningPort(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async start(): Promise<void> {
    const tls = this.options.siblings ? undefined : this.options.security?.tls;
    const server = createServer((req, res) => void this.handle(req, res), tls);
    // `Expect: 100-continue`: a body announced too large is refused before the client sends it.
    server.on('checkContinue', (req, res) => void this.handle(req, res, { expectsContinue: true }));
    server.on('clientError', answerClientError);
    // Longer than a typical client's idle timeout, so forwarding connections are the ones to close first.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.http.port, this.options.http.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.console.start();
    this.logger.info(
      {
        url: this.url,
        listen: `${this.options.http.host}:${this.options.http.port}`,
        routes: this.router.patterns().length,
      },
      `serving queries at ${this.url}`,
    );
  }

  /** The routes served, as `METHOD /pattern`. */
  routes(): string[] {
    return this.router.patterns().map((r) => `${r.method} ${r.pattern}`);
  }

  /** Ends event streams and long polls, stops accepting requests, and closes the connections. */
  async stop(): Promise<void> {
    this.service.close();
    const server = this.server;
    this.server = undefined;
    await this.console.stop();
    const admin = this.admin;
    this.admin = undefined;
    // The clients are closed whatever happens to the server, and the server whatever happens to them.
    const clients = Promise.allSettled([this.producer.close(), admin?.close()]);
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
      await closed;
      clearTimeout(timer);
    }
    for (const result of await clients) if (result.status === 'rejected') throw result.reason;
  }

  private addWorkerRoutes(): void {
    const service = this.service;
    const runners = this.options.runners;
    const add = (
      pattern: string,
      handle: InternalHandler['handle'],
      scope: InternalHandler['scope'] = 'queries',
    ) => this.router.add('GET', pattern, { handle, scope });
    this.router.add(
      'GET',
      '/',
      this.console.index(() => ({
        status: 200,
        body: {
          endpoint: service.self,
          applications: runners.map((r) => r.applicationId),
          routes: this.routes(),
        },
      })),
    );
    add('/stores', () => listStores(service));
    add('/stores/:store', (request) => queryStore(service, request));
    add('/stores/:store/keys/:key', (request) => getKey(service, request));
    add('/stores/:store/changes', (request, raw) => streamChanges(service, request, raw));
    add('/metadata', (request) => metadata(service, request));
    add('/health', () => health(runners), 'open');
    add('/health/ready', () => ready(runners), 'open');
    add('/metrics', () => metrics(service, this.httpMetrics()), 'metrics');
  }

  private async logEnds(topic: string): Promise<Map<number, bigint>> {
    this.admin ??= this.options.port.admin();
    const offsets = await this.admin.offsets(topic);
    return new Map([...offsets].map(([partition, range]) => [partition, range.high]));
  }

  private httpMetrics(): HttpMetrics {
    return { requests: this.requestMetrics };
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
    options: { expectsContinue?: boolean } = {},
  ): Promise<void> {
    const started = performance.now();
    const abort = new AbortController();
    // Only a client that left early aborts (an abort builds a DOMException: not for every request).
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const method = req.method ?? 'GET';
    let pattern = 'unmatched';
    let response: HttpResponse | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = this.router.match(method, url.pathname);
      pattern = match.pattern;
      const { application, scope } = match.handler;
      const needed = typeof scope === 'function' ? scope(req) : (scope ?? 'queries');
      authorize(req, application === undefined ? needed : 'app', this.options.security?.access);
      if (options.expectsContinue) {
        // The client waits for "100 Continue" before it sends the body: refuse one announced too large now.
        if ((announcedLength(req) ?? 0) > MAX_BODY_BYTES) throw bodyTooLarge();
        res.writeContinue();
      }
      // A sibling thread forwards with the process's own endpoint as the hop.
      const sibling = this.options.siblings !== undefined && req.headers[HOP_HEADER] === this.service.self;
      response = await fromSibling.run(sibling, () =>
        match.handler.handle(toHttpRequest(req, url, match.params, abort.signal), { req, res }),
      );
    } catch (error) {
      response = errorResponse(error);
      if (response.status >= 500 && response.status !== 503 && response.status !== 504)
        this.logger.warn({ err: error, method, url: req.url }, `request failed: ${toError(error).message}`);
    }
    if (response) sendResponse(res, response, method === 'HEAD');
    this.observe(method, pattern, response?.status ?? 200, (performance.now() - started) / 1000);
  }

  private observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let metric = this.requestMetrics.get(key);
    if (!metric) {
      metric = {
        labels: { method, route, status: String(status) },
        histogram: new Histogram(LATENCY_BUCKETS_SECONDS),
      };
      this.requestMetrics.set(key, metric);
    }
    metric.histogram.observe(seconds);
  }
}
