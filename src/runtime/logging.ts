import { pino } from 'pino';
import type { Logger } from './logger.ts';

export interface LoggingOptions {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** JSON lines for production and log shippers; 'pretty' for a human at a terminal. */
  readonly format: 'json' | 'pretty';
  readonly name?: string;
}

/** The worker's structured logger (pino): JSON in production, readable colored lines in a terminal. */
export function createLogger(options: LoggingOptions): Logger {
  return pino({
    name: options.name ?? 'tributary',
    level: options.level,
    ...(options.format === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,name' },
          },
        }
      : {}),
  }) as unknown as Logger;
}
