import type { Logger } from '../../src/common/logger.ts';

/** A logger that keeps what is logged at warn, for tests to look at; other levels are dropped. */
export function recordingLogger(): {
  logger: Logger;
  warnings: { fields: Record<string, unknown>; message: string }[];
} {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const ignore = () => undefined;
  const logger: Logger = {
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (fields, message) => warnings.push({ fields, message }),
  };
  return { logger, warnings };
}
