import type { Consumer, ConsumerRunConfig, RetryOptions } from 'kafkajs';
import type { TributaryError } from '../../errors.ts';
import type { Logger } from '../../common/logger.ts';
import { FailureWindow, RetriesExhaustedError, backoffMs, retrying, retryPolicy } from '../retry.ts';
import { kafkajsError, kafkajsErrorKind } from './errors.ts';

/**
 * Restarts a kafkajs consumer that crashed on a retriable error — what a broker restart does to it
 * once kafkajs' own retries of a request run out — for at most `timeoutMs` of failures in a row.
 *
 * kafkajs can restart a crashed consumer itself, but it does so after a crash it considers
 * retriable only, and its restart timer can outlive a `stop()` that races with the crash (the
 * process then never exits). So its own restarts are switched off (`retryOptions`), and the
 * decision is made here, from the same classification as every other error, with a timer that
 * `cancel` clears.
 */
export class ConsumerRestarts {
  private readonly what: string;
  private readonly logger: Logger;
  private readonly window: FailureWindow;
  private readonly timeoutMs: number;
  private readonly restart: () => Promise<void>;
  private readonly crash: (error: TributaryError) => void;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private cancelled = false;

  constructor(options: {
    /** The consumer, for messages: `the consumer of group "orders"`. */
    readonly what: string;
    readonly timeoutMs: number;
    readonly logger: Logger;
    /** Stops what is left of the crashed consumer and runs it again (it reconnects and rejoins). */
    readonly restart: () => Promise<void>;
    /** Reports a crash that is not restarted. */
    readonly crash: (error: TributaryError) => void;
  }) {
    this.what = options.what;
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs;
    this.window = new FailureWindow(options.timeoutMs);
    this.restart = options.restart;
    this.crash = options.crash;
  }

  /** kafkajs' retry options for the consumer: its requests are retried, its crashes come here. */
  static retryOptions(): RetryOptions {
    return { retries: 5, restartOnFailure: async () => false };
  }

  /** The consumer joined its group: it works again. */
  joined(): void {
    this.window.succeeded();
    this.attempts = 0;
  }

  /** The consumer crashed: restart it after a backoff, or report the crash. */
  crashed(error: unknown): void {
    if (this.cancelled) return;
    const kind = kafkajsErrorKind(error);
    if (kind !== 'retriable') return this.crash(kafkajsError(error, this.what));
    if (!this.window.failed())
      return this.crash(
        new RetriesExhaustedError(this.what, this.window.failingMs(), retryPolicy(this.timeoutMs), error),
      );
    const wait = backoffMs(++this.attempts, retryPolicy(this.timeoutMs));
    this.logger.warn(
      { err: error, failingMs: this.window.failingMs(), retryInMs: wait },
      `${this.what} lost its connection; reconnecting`,
    );
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.cancelled) return;
      this.restart().catch((failure: unknown) => this.crashed(failure));
    }, wait);
  }

  /** The consumer is stopping: no restart from now on. */
  cancel(): void {
    this.cancelled = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Stops a kafkajs consumer and runs it again: it reconnects and joins its group as a new member.
 * `restarting` is told true until kafkajs has a group again (as soon as `run` is called, before the
 * join), for the pauses, resumes and seeks that cannot be made meanwhile; `current` says whether the
 * consumer is still wanted once stopped.
 */
export async function runAgain(
  consumer: Consumer,
  runConfig: ConsumerRunConfig,
  current: () => boolean,
  restarting: (yes: boolean) => void,
): Promise<void> {
  restarting(true);
  try {
    await consumer.stop();
    if (!current()) return;
    const running = consumer.run(runConfig);
    restarting(false);
    await running;
  } finally {
    restarting(false);
  }
}

/**
 * Connects a kafkajs consumer and subscribes it to its topics, waiting for at most `timeoutMs` while
 * that fails with a retriable error. Right after topics are created, a broker whose metadata has not
 * caught up with the controller's answers UNKNOWN_TOPIC_OR_PARTITION ("This server does not host this
 * topic-partition") for them, on a cluster of several brokers for a second or more; a broker
 * restarting refuses connections. A refusal by the authorizer (`refused` names it) or any other fatal
 * error is thrown at once; every failure is a classified TributaryError.
 */
export async function subscribeWhenReady(
  consumer: Consumer,
  topics: readonly string[],
  options: {
    readonly what: string;
    readonly timeoutMs: number;
    readonly logger: Logger;
    readonly refused: (error: unknown) => unknown;
  },
): Promise<void> {
  const doing = `subscribing ${options.what} to ${topics.join(', ')}`;
  await retrying(
    async () => {
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [...topics], fromBeginning: true });
      } catch (error) {
        throw kafkajsError(options.refused(error), doing);
      }
    },
    {
      what: doing,
      policy: retryPolicy(options.timeoutMs),
      onRetry: (error, attempt, waitMs) =>
        options.logger.debug({ err: error, attempt, retryInMs: waitMs }, `${doing}: not yet possible`),
    },
  );
}
