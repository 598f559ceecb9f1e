import { randomUUID } from 'node:crypto';
import type { EventLogPort } from '../kafka/port.ts';
import type { AppHttp } from '../query/api.ts';
import { QueryServer } from './server.ts';
import { SchemaRegistryClient } from '../serde/registry.ts';
import { registryWireSerdes } from '../serde/registry-wire.ts';
import { setStoreCacheMaxBytes } from '../state/managed-store.ts';
import type { Topology } from '../topology/topology.ts';
import type { ErrorHandling } from '../runtime/error-handling.ts';
import type { Logger } from '../common/logger.ts';
import { settleAll } from '../common/settle-all.ts';
import { AppRunner } from '../runtime/worker/app-runner.ts';
import type { WorkerConfig } from '../runtime/worker/config.ts';
import { reportSecurity } from '../runtime/worker/security-report.ts';
import type { Siblings } from '../query/siblings.ts';
import { ConfigError } from '../errors.ts';

export interface WorkerApplication {
  readonly applicationId: string;
  readonly topology: Topology;
  /** Overrides the worker's error handling for this application. */
  readonly errorHandling?: Partial<ErrorHandling>;
  /** The application's own HTTP routes, served when the worker serves queries (`--http`). */
  readonly http?: AppHttp;
  /** The renaming of user topics the topology was built with: its routes send to the renamed topics too. */
  readonly renameTopic?: (name: string) => string;
}

/**
 * A worker process: one or more applications, each a member of its own consumer group. Stops
 * gracefully on request (finish in-flight records, commit, flush and close stores, leave the groups).
 */
export class Worker {
  readonly processId = randomUUID();
  readonly runners: readonly AppRunner[];
  /** The HTTP server for interactive queries and application routes, when configured. */
  readonly queries: QueryServer | undefined;
  private readonly logger: Logger;
  private readonly config: WorkerConfig;
  private stopping: Promise<void> | undefined;
  private readonly stopped: Promise<void>;
  private markStopped!: () => void;

  constructor(
    applications: readonly WorkerApplication[],
    config: WorkerConfig,
    port: EventLogPort,
    logger: Logger,
    /** As one stream thread of several in the process: the other threads, whose tasks queries reach through them. */
    options: { readonly siblings?: Siblings } = {},
  ) {
    this.logger = logger;
    this.config = config;
    setStoreCacheMaxBytes(config.readCacheMaxBytes);
    this.stopped = new Promise((resolve) => {
      this.markStopped = resolve;
    });
    // One registry client for the process: writer schemas are fetched once for every application.
    const schemaRegistry = config.schemaRegistryUrl
      ? new SchemaRegistryClient({
          url: config.schemaRegistryUrl,
          clientId: config.clientId,
          security: config.schemaRegistrySecurity,
        })
      : undefined;
    const ids = new Set<string>();
    for (const app of applications) {
      if (ids.has(app.applicationId))
        throw new ConfigError(`application "${app.applicationId}" is given twice`);
      ids.add(app.applicationId);
    }
    this.runners = applications.map(
      (app) =>
        new AppRunner({
          applicationId: app.applicationId,
          topology: app.topology,
          port,
          config: { ...config, errorHandling: { ...config.errorHandling, ...app.errorHandling } },
          logger,
          processId: this.processId,
          schemaRegistry,
        }),
    );
    this.queries = config.http
      ? new QueryServer({
          runners: this.runners,
          applications,
          http: config.http,
          port,
          clientId: config.clientId,
          logger,
          wireSerdes: schemaRegistry && registryWireSerdes(schemaRegistry),
          security: config.httpSecurity,
          siblings: options.siblings,
        })
      : undefined;
  }

  async start(): Promise<void> {
    reportSecurity(this.config, this.logger);
    // Listening first: health and metadata answer (and queries say 503) while the applications start.
    await this.queries?.start();
    try {
      await settleAll(this.runners.map((r) => r.start()));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Resolves when the worker is stopped; rejects with the first application that fails for good. */
  async run(): Promise<void> {
    await Promise.race([...this.runners.map((r) => r.failure$), this.stopped]);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info({}, 'stopping worker');
      await this.queries
        ?.stop()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'stopping the HTTP server failed'));
      await Promise.allSettled(this.runners.map((r) => r.stop()));
      this.logger.info({}, 'worker stopped');
      this.markStopped();
    })();
    return this.stopping;
  }

  runner(applicationId: string): AppRunner | undefined {
    return this.runners.find((r) => r.applicationId === applicationId);
  }
}
