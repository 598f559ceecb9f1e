import { pino } from 'pino';
import type { Logger } from '../common/logger.ts';
import { prettyDestination, type LogDestination } from './pretty-log.ts';

export interface LoggingOptions {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** JSON lines for production and log shippers; 'pretty' for a human at a terminal. */
  readonly format: 'json' | 'pretty';
  readonly name?: string;
  /** Where the lines go; standard output unless given. */
  readonly destination?: LogDestination;
}

/**
 * The worker's structured logger (pino): JSON lines in production, readable colored lines in a
 * terminal. JSON lines carry the level as pino's number (`level`, for log tooling that expects it)
 * and as its name (`levelName`, for people and for filters that match "error").
 */
export function createLogger(options: LoggingOptions): Logger {
  const pinoOptions = {
    name: options.name ?? 'tributary',
    level: options.level,
    formatters: { level: (label: string, level: number) => ({ level, levelName: label }) },
  };
  const destination =
    options.format === 'pretty'
      ? prettyDestination(options.destination ?? process.stdout)
      : options.destination;
  return (destination ? pino(pinoOptions, destination) : pino(pinoOptions)) as unknown as Logger;
}
