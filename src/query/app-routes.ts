import { HttpError, type RouteHandler } from '../http/types.ts';
import type { Router } from '../http/router.ts';
import type { Logger } from '../common/logger.ts';
import type { AppHttp, AppHttpContext, StoreClient } from './api.ts';
import type { LogEnds } from './catch-up.ts';
import type { TypedProducer } from './producer.ts';
import type { QueryService } from './query-service.ts';
import { RoutedStoreClient } from './store-client.ts';
import type { InternalHandler } from './server-types.ts';

/** Paths the worker itself serves; application routes may not take them. */
export const RESERVED_PREFIXES = ['/stores', '/metadata', '/metrics', '/health', '/console'];

/** Calls an application's `http` function with its context and adds the routes it defines. */
export function addAppRoutes(options: {
  readonly applicationId: string;
  readonly http: AppHttp;
  /** The renaming of user topics the application's topology was built with. */
  readonly renameTopic?: (name: string) => string;
  readonly router: Router<InternalHandler>;
  readonly service: QueryService;
  readonly producer: TypedProducer;
  /** Where the log ends, for store clients' `atOwner`. */
  readonly logEnds: LogEnds;
  readonly logger: Logger;
}): void {
  const { applicationId, http, router, service, producer } = options;
  const logger = options.logger.child?.({ app: applicationId, http: true }) ?? options.logger;
  const clients = new Map<string, StoreClient<unknown, unknown>>();
  const context: AppHttpContext = {
    applicationId,
    store: <K, V>(name: string) => {
      let client = clients.get(name);
      if (!client) {
        const entry = service.catalog
          .list()
          .find((e) => e.name === name && e.applicationId === applicationId);
        if (!entry)
          throw new HttpError(
            500,
            `application "${applicationId}" has no store "${name}"; its stores: ${
              service.catalog
                .list()
                .filter((e) => e.applicationId === applicationId)
                .map((e) => e.name)
                .join(', ') || 'none'
            }`,
          );
        client = new RoutedStoreClient(service, entry, options.logEnds);
        clients.set(name, client);
      }
      return client as StoreClient<K, V>;
    },
    send: (topic, key, value, sendOptions) =>
      producer.send(
        options.renameTopic ? { ...topic, name: options.renameTopic(topic.name) } : topic,
        key,
        value,
        sendOptions,
      ),
    logger,
  };
  const routes = router.routesFor(
    (handler: RouteHandler, method: string, pattern: string): InternalHandler => {
      if (RESERVED_PREFIXES.some((p) => pattern === p || pattern.startsWith(`${p}/`)))
        throw new HttpError(
          500,
          `application "${applicationId}" defines ${method} ${pattern}, but ${RESERVED_PREFIXES.join(', ')} belong to the worker`,
        );
      return { handle: (request) => handler(request), application: applicationId, scope: 'app' };
    },
  );
  http(routes, context);
}
