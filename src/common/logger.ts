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
