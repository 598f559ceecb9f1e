import { randomUUID } from 'node:crypto';
import type { EventLogPort } from '../../kafka/port.ts';
import { SchemaRegistryClient } from '../../serde/registry.ts';
import type { Topology } from '../../topology/topology.ts';
import type { ErrorHandling } from '../error-handling.ts';
import type { Logger } from '../logger.ts';
import { AppRunner } from './app-runner.ts';
import type { WorkerConfig } from './config.ts';

export interface WorkerApplication {
  readonly applicationId: string;
  readonly topology: Topology;
  /** Overrides the worker's error handling for this application. */
  readonly errorHandling?: Partial<ErrorHandling>;
}

/**
 * A worker process: one or more applications, each a member of its own consumer group. Stops
 * gracefully on request (finish in-flight records, commit, flush and close stores, leave the groups).
 */
export class Worker {
  readonly processId = randomUUID();
  readonly runners: readonly AppRunner[];
  private readonly logger: Logger;
  private stopping: Promise<void> | undefined;
  private readonly stopped: Promise<void>;
  private markStopped!: () => void;

  constructor(
    applications: readonly WorkerApplication[],
    config: WorkerConfig,
    port: EventLogPort,
    logger: Logger,
  ) {
    this.logger = logger;
    this.stopped = new Promise((resolve) => {
      this.markStopped = resolve;
    });
    // One registry client for the process: writer schemas are fetched once for every application.
    const schemaRegistry = config.schemaRegistryUrl
      ? new SchemaRegistryClient({ url: config.schemaRegistryUrl, clientId: config.clientId })
      : undefined;
    const ids = new Set<string>();
    for (const app of applications) {
      if (ids.has(app.applicationId)) throw new Error(`application "${app.applicationId}" is given twice`);
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
  }

  async start(): Promise<void> {
    const results = await Promise.allSettled(this.runners.map((r) => r.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
  }

  /** Resolves when the worker is stopped; rejects with the first application that fails for good. */
  async run(): Promise<void> {
    await Promise.race([...this.runners.map((r) => r.failure$), this.stopped]);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info({}, 'stopping worker');
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
