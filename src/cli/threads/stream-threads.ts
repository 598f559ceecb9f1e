/**
 * A worker process with several stream threads (Kafka Streams' `num.stream.threads`): the main thread
 * starts one Node.js worker thread per stream thread (stream-thread.ts), each running every
 * application as a member of its group with its own tasks, and watches them.
 *
 * A thread that fails shuts the whole process down, gracefully for the other threads (their final
 * commits made, their groups left): Kafka Streams' default uncaught-exception response,
 * SHUTDOWN_CLIENT. The process then exits with the failure code, so a supervisor restarts it; it is
 * never left running with fewer threads than it was started with.
 */
import { Worker as NodeWorker } from 'node:worker_threads';
import type { Logger } from '../../common/logger.ts';
import type { FromStreamThread, StreamThreadData, ThreadTasks, ToStreamThread } from './messages.ts';
import type { WorkerConfig } from '../../runtime/worker/config.ts';
import { UsageError } from '../command.ts';
import { FrontServer, type ThreadEndpoint } from './front-server.ts';
import { threadName } from './thread-config.ts';

/** The thread's module shares this module's extension: .ts in a checkout, .js in dist/. */
const fromSource = import.meta.url.endsWith('.ts');
const entry = new URL(`./stream-thread${fromSource ? '.ts' : '.js'}`, import.meta.url);
/**
 * From the sources, `import 'tributary'` in the topology files must resolve to them (src/index.ts), as
 * bin/tributary.js arranges for the main thread with a module hook, which threads do not inherit.
 */
const execArgv = [...process.execArgv, ...(fromSource ? ['--conditions=tributary-source'] : [])];

/** How long a stopping thread may take after its worker stopped before it is ended (a client's lingering timer). */
const EXIT_GRACE_MS = 5_000;

export interface StreamThreadsOptions {
  readonly count: number;
  /** What every thread is given (the thread number is added). */
  readonly data: Omit<StreamThreadData, 'n'>;
  /** The applications the topology files define, for the log. */
  readonly applicationIds: readonly string[];
  readonly logger: Logger;
  /** The process's query endpoint, in front of the threads', when it serves queries (`--http`). */
  readonly front?: FrontServer;
}

class StreamThreadFailure extends Error {}

/** One stream thread as the main thread sees it. */
class StreamThread {
  readonly name: string;
  readonly started: Promise<void>;
  /** Rejects when the thread fails (its applications stopped for good, or the thread itself died). */
  readonly failed: Promise<never>;
  readonly exited: Promise<void>;
  private readonly thread: NodeWorker;
  private stopRequested = false;
  /** The thread said it stopped or failed: its work is over, only the thread itself may linger. */
  private finished = false;

  constructor(
    n: number,
    data: Omit<StreamThreadData, 'n'>,
    logger: Logger,
    onTasks: (tasks: ThreadTasks) => void,
  ) {
    this.name = threadName(n);
    const workerData: StreamThreadData = { ...data, n };
    this.thread = new NodeWorker(entry, { workerData, name: this.name, execArgv });
    let markStarted!: () => void;
    let fail!: (error: Error) => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    this.failed = new Promise<never>((_resolve, reject) => (fail = reject));
    // Observed here: a failure nobody awaits yet (during start) must not be an unhandled rejection.
    this.failed.catch(() => undefined);
    const failure = (why: string) => fail(new StreamThreadFailure(`${this.name} failed: ${why}`));
    this.thread.on('message', (message: FromStreamThread) => {
      if (message.type === 'started') return markStarted();
      if (message.type === 'tasks') return onTasks(message);
      this.finished = true;
      if (message.type === 'failed') failure(message.error);
    });
    this.thread.on('error', (error) => {
      logger.error({ err: error, thread: this.name }, `${this.name} died: ${error.message}`);
      failure(error.message);
    });
    this.exited = new Promise((resolve) =>
      this.thread.once('exit', (code) => {
        if (!this.finished && !this.stopRequested) failure(`the thread exited (code ${code})`);
        resolve();
      }),
    );
    // Started or failed, whichever comes first, settles `started`.
    this.started = Promise.race([started, this.failed]);
  }

  tell(message: ToStreamThread): void {
    try {
      this.thread.postMessage(message);
    } catch {
      // Already gone.
    }
  }

  /** Asks the thread to stop gracefully and waits until it has ended. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.tell({ type: 'stop' });
    await this.exitedOrEnded();
  }

  private async exitedOrEnded(): Promise<void> {
    // The worker inside bounds its own stop; once it has said "stopped", a lingering handle gets a grace period.
    let timer: NodeJS.Timeout | undefined;
    const lingering = new Promise<void>((resolve) => {
      const check = () => {
        if (this.finished) {
          timer = setTimeout(() => void this.thread.terminate().then(() => resolve()), EXIT_GRACE_MS);
        } else timer = setTimeout(check, 100);
      };
      check();
    });
    await Promise.race([this.exited, lingering]);
    clearTimeout(timer);
  }
}

/** The stream threads of a worker process: the shape `runUntilStopped` drives, like a one-thread `Worker`. */
export class StreamThreads {
  readonly runners: readonly { readonly applicationId: string }[];
  private readonly options: StreamThreadsOptions;
  private threads: StreamThread[] = [];
  /** What each thread last said it runs, by thread name. */
  private readonly tasks = new Map<string, ThreadTasks>();
  private stopping: Promise<void> | undefined;
  private markStopped!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));

  constructor(options: StreamThreadsOptions) {
    this.options = options;
    this.runners = options.applicationIds.map((applicationId) => ({ applicationId }));
  }

  async start(): Promise<void> {
    const { count, data, logger } = this.options;
    logger.info({ threads: count }, `starting ${count} stream threads`);
    try {
      // Listening first: health answers (and queries say 503) while the threads start.
      await this.options.front?.start();
      for (let n = 1; n <= count; n++)
        this.threads.push(new StreamThread(n, data, logger, (tasks) => this.onTasks(tasks)));
      await Promise.all(this.threads.map((t) => t.started));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Resolves when stopped on request; rejects with the first thread that fails (the others are then stopped). */
  async run(): Promise<void> {
    await Promise.race([...this.threads.map((t) => t.failed), this.stopped]);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.options.logger.info({}, 'stopping stream threads');
      await this.options.front
        ?.stop()
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, 'stopping the HTTP server failed'),
        );
      await Promise.all(this.threads.map((t) => t.stop()));
      this.options.logger.info({}, 'stream threads stopped');
      this.markStopped();
    })();
    return this.stopping;
  }

  /** The threads' query endpoints (loopback). */
  endpoints(): ThreadEndpoint[] {
    return [...this.tasks.values()].map(({ thread, endpoint }) => ({ thread, endpoint }));
  }

  /** A thread's tasks changed: every thread hears the whole table (routing to siblings), the front the endpoints. */
  private onTasks(tasks: ThreadTasks): void {
    this.tasks.set(tasks.thread, tasks);
    const threads = [...this.tasks.values()];
    for (const thread of this.threads) thread.tell({ type: 'siblings', threads });
  }
}

/**
 * The stream threads `tributary run --threads N` runs, with the process's query endpoint in front of
 * them when it serves queries. Every thread reads the same settings (`data.flags`, the environment,
 * the config file) and loads the same topology files.
 */
export function streamThreads(
  config: WorkerConfig,
  logger: Logger,
  data: Omit<StreamThreadData, 'n'>,
  applicationIds: readonly string[],
): StreamThreads {
  if (config.http && config.httpSecurity.access?.clientCertificates)
    throw new UsageError(
      'client certificates as HTTP credentials need one stream thread (--threads 1): the thread answering a request does not see the certificate; use bearer tokens, or run one process per thread',
    );
  const front: FrontServer | undefined =
    config.http &&
    new FrontServer({
      ...config.http,
      tls: config.httpSecurity.tls,
      threads: (): ThreadEndpoint[] => threads.endpoints(),
      logger,
    });
  const threads: StreamThreads = new StreamThreads({
    count: config.numStreamThreads,
    data,
    applicationIds,
    logger,
    front,
  });
  return threads;
}
