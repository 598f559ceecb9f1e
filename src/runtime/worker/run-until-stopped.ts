import { errorMessage } from '../../errors.ts';
import type { Logger } from '../logger.ts';
import type { Worker } from './worker.ts';

/**
 * Starts a worker and keeps it running until SIGTERM or SIGINT (then stops it gracefully) or until an
 * application fails for good (then stops the rest). Resolves true for a requested stop, false for a
 * failure — never leaves the process hanging.
 */
export async function runUntilStopped(
  worker: Worker,
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
    return true;
  } catch (error) {
    logger.error({ err: error }, `worker failed: ${errorMessage(error)}`);
    await worker.stop();
    return false;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
