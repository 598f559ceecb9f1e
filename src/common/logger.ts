import { errorMessage } from '../errors.ts';
import { toError } from './to-error.ts';

/** The logging the engine needs; the worker runtime passes a pino logger, which fits this shape. */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

const ignore = (): void => undefined;

export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/**
 * A logger that adds `bindings` to every line: the logger's own child when it has one, else a wrapper.
 * Whoever binds a field (the task, the application) owns it: code logging through the result must not
 * pass the same field again, or a JSON line would carry the key twice.
 */
export function withBindings(logger: Logger, bindings: Record<string, unknown>): Logger {
  if (logger.child) return logger.child(bindings);
  return {
    debug: (fields, message) => logger.debug({ ...bindings, ...fields }, message),
    info: (fields, message) => logger.info({ ...bindings, ...fields }, message),
    warn: (fields, message) => logger.warn({ ...bindings, ...fields }, message),
    error: (fields, message) => logger.error({ ...bindings, ...fields }, message),
    child: (more) => withBindings(logger, { ...bindings, ...more }),
  };
}

/**
 * A rejection handler for a failure that must not stop what is under way (closing a task, shutting
 * down) but must not vanish either: it is logged at warn, saying what was being done.
 */
export function warnOnFailure(
  logger: Logger,
  doing: string,
  fields: Record<string, unknown> = {},
): (error: unknown) => void {
  return (error) =>
    logger.warn({ ...fields, err: toError(error) }, `${doing} failed: ${errorMessage(error)}`);
}
