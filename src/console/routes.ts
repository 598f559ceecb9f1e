/**
 * The web console's side of the worker's HTTP server (docs/console.md): the page at `/` for browsers,
 * its assets, and the read-only endpoints it draws from beside the query API — the topologies, the
 * status of every worker (also as a stream of events), and the reference system's recent orders. Scopes: the page and its assets
 * are open (they hold no data, and a page must load before it can ask for a token); the endpoints
 * need `queries`, like the stores they sit beside.
 */
import type { IncomingMessage } from 'node:http';
import type { RouteScope } from '../http/access.ts';
import type { Router } from '../http/router.ts';
import type { HttpRequest, HttpResponse } from '../http/types.ts';
import type { EventLogPort } from '../kafka/port.ts';
import { limitParam, onlyParams } from '../query/handlers/params.ts';
import { isForwarded } from '../query/handlers/forwarding.ts';
import type { QueryService } from '../query/query-service.ts';
import type { InternalHandler } from '../query/server-types.ts';
import type { Logger } from '../common/logger.ts';
import type { ApplicationOverview, ConsoleOverview } from './api-types.ts';
import { ORDERS_STORE, OrdersTimelines, ordersSystem } from './orders.ts';
import { ConsoleSampler } from './sampler.ts';
import { ConsoleFiles, wantsHtml } from './static-files.ts';
import { STATUS_PATH, clusterStatus, workerStatus } from './status.ts';
import { STATUS_EVENTS_PATH, streamStatus } from './status-stream.ts';

export interface ConsoleOptions {
  readonly router: Router<InternalHandler>;
  readonly service: QueryService;
  readonly applications: readonly {
    readonly applicationId: string;
    readonly renameTopic?: (name: string) => string;
  }[];
  readonly port: EventLogPort;
  readonly clientId: string;
  readonly logger: Logger;
  /** Where the built page is (tests); default: beside the module, or the checkout's dist/. */
  readonly directory?: string;
}

export class ConsoleRoutes {
  private readonly options: ConsoleOptions;
  private readonly files: ConsoleFiles;
  private readonly sampler: ConsoleSampler;
  private orders: OrdersTimelines | null | undefined;

  constructor(options: ConsoleOptions) {
    this.options = options;
    this.files = new ConsoleFiles(options.directory);
    this.sampler = new ConsoleSampler(options.service.runners);
  }

  /** Adds the console's routes (the page itself shares `GET /` with the worker's index: see `index`). */
  register(): void {
    const add = (pattern: string, handle: InternalHandler['handle'], scope: RouteScope) =>
      this.options.router.add('GET', pattern, { handle, scope });
    add('/console/assets/:file', (request) => this.files.asset(request), 'open');
    add('/console/api/overview', (request) => this.overview(request), 'queries');
    add(STATUS_PATH, (request) => this.status(request), 'queries');
    add(
      STATUS_EVENTS_PATH,
      (request, raw) => streamStatus(this.options.service, this.sampler, request, raw),
      'queries',
    );
    add('/console/api/orders', (request) => this.recentOrders(request), 'queries');
  }

  /**
   * `GET /`: the page for a browser navigating to it, else the worker's JSON index. The page is open;
   * the index lists the routes, so it keeps the `queries` scope.
   */
  index(fallback: InternalHandler['handle']): InternalHandler {
    return {
      handle: (request, raw) =>
        wantsHtml(request.headers.accept) ? this.files.page(request) : fallback(request, raw),
      scope: (req: IncomingMessage): RouteScope => (wantsHtml(req.headers.accept) ? 'open' : 'queries'),
    };
  }

  start(): void {
    this.sampler.start();
  }

  async stop(): Promise<void> {
    this.sampler.stop();
    await this.orders?.stop();
  }

  private overview(request: HttpRequest): HttpResponse {
    onlyParams(request.query, [], 'GET /console/api/overview');
    const { service, router } = this.options;
    const routes = router.patterns();
    const applications = service.runners.map((runner): ApplicationOverview => ({
      application: runner.applicationId,
      state: runner.state,
      topology: runner.topology.describe({ applicationId: runner.applicationId }).toJSON(),
      routes: routes
        .filter((r) => r.handler.application === runner.applicationId)
        .map((r) => `${r.method} ${r.pattern}`),
    }));
    const body: ConsoleOverview = {
      endpoint: service.self,
      applications,
      orders: this.ordersTimelines()?.system ?? null,
    };
    return { status: 200, body };
  }

  /** With the hop header (another worker gathering): this worker's own report only. */
  private async status(request: HttpRequest): Promise<HttpResponse> {
    onlyParams(request.query, [], `GET ${STATUS_PATH}`);
    const { service } = this.options;
    if (isForwarded(request)) return { status: 200, body: workerStatus(service, this.sampler) };
    return { status: 200, body: await clusterStatus(service, this.sampler, request.signal) };
  }

  private recentOrders(request: HttpRequest): HttpResponse {
    onlyParams(request.query, ['limit'], 'GET /console/api/orders');
    const timelines = this.ordersTimelines();
    if (!timelines)
      return {
        status: 404,
        body: {
          error:
            'this worker does not serve the orders API (POST /v1/orders beside the store "orders-store")',
        },
      };
    return { status: 200, body: timelines.report(Math.min(limitParam(request.query), 500)) };
  }

  /** The application serving `POST /v1/orders`, when the store `orders-store` is there too. */
  private ordersApplication(): string | undefined {
    const { router, service } = this.options;
    const route = router.patterns().find((r) => r.method === 'POST' && r.pattern === '/v1/orders');
    if (!route?.handler.application) return undefined;
    return service.catalog.list().some((e) => e.name === ORDERS_STORE)
      ? route.handler.application
      : undefined;
  }

  private renameOf(applicationId: string): (name: string) => string {
    return (
      this.options.applications.find((a) => a.applicationId === applicationId)?.renameTopic ?? ((n) => n)
    );
  }

  private ordersTimelines(): OrdersTimelines | null {
    if (this.orders !== undefined) return this.orders;
    const application = this.ordersApplication();
    const { service, port, clientId, logger } = this.options;
    this.orders = application
      ? new OrdersTimelines({
          system: ordersSystem(this.renameOf(application)),
          runners: service.runners,
          port,
          clientId,
          logger,
        })
      : null;
    return this.orders;
  }
}
