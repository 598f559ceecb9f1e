import { errorMessage } from '../errors.ts';
import type { Logger } from '../common/logger.ts';
import type { Worker } from './worker.ts';

/** The process's exit codes (docs/operations.md): stopped on request, or failed. */
export const WORKER_EXIT_CODES = { stopped: 0, failed: 2 } as const;

/**
 * How long the process may outlive its stopped worker. Everything the worker opened is closed by
 * then; a handle a client library still holds (a reconnect timer, a socket) must not keep the process
 * from exiting with its code, which a supervisor acts on.
 */
const EXIT_GRACE_MS = 3_000;

/**
 * Starts a worker and keeps it running until SIGTERM or SIGINT (then stops it gracefully) or until an
 * application fails for good (then stops the rest; the last log line says why). Resolves true for a
 * requested stop, false for a failure — never leaves the process hanging: if something still holds
 * the event loop `EXIT_GRACE_MS` later, the process exits with its code anyway.
 */
export async function runUntilStopped(
  worker: Pick<Worker, 'start' | 'run' | 'stop'> & { readonly runners: readonly { applicationId: string }[] },
  logger: Logger,
  /** Called once the worker has started (to tell the user where it is). */
  onStarted?: () => void | Promise<void>,
): Promise<boolean> {
  let requested = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (requested) {
      logger.warn({ signal }, 'second signal: exiting without a graceful stop');
      process.exit(130);
    }
    requested = true;
    logger.info({ signal }, 'stop requested');
    void worker.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await worker.start();
    logger.info({ applications: worker.runners.map((r) => r.applicationId) }, 'worker started');
    await onStarted?.();
    await worker.run();
    exitIfLingering(WORKER_EXIT_CODES.stopped, logger, 'the worker stopped');
    return true;
  } catch (error) {
    await worker.stop();
    const reason = `worker failed: ${errorMessage(error)}`;
    logger.error({ err: error, exitCode: WORKER_EXIT_CODES.failed }, reason);
    exitIfLingering(WORKER_EXIT_CODES.failed, logger, reason);
    return false;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** Exits with `code` if the process is still alive `EXIT_GRACE_MS` from now (the timer does not keep it alive). */
function exitIfLingering(code: number, logger: Logger, reason: string): void {
  setTimeout(() => {
    logger.error(
      { exitCode: code, resources: process.getActiveResourcesInfo() },
      `${reason}; exiting although a client still holds resources`,
    );
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
}
