/**
 * The event log `record` and `tail` read: Kafka when brokers are given, else the embedded log of a
 * data directory, opened read-only — it may belong to a running `tributary start`, whose appends a
 * follower picks up by looking at the files now and then.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EmbeddedLog } from '../../embedded/embedded-log.ts';
import { embeddedEventLog } from '../../embedded/event-log.ts';
import { kafkaEventLog } from '../../kafka/kafkajs/event-log.ts';
import type { EventLogPort } from '../../kafka/port.ts';
import { silentLogger } from '../../common/logger.ts';
import { UsageError } from '../command.ts';

export interface ReadableEventLog {
  readonly port: EventLogPort;
  /** Kafka's brokers, or the embedded log's directory. */
  readonly description: string;
  /** While following: keep seeing what others append (the embedded log; Kafka needs nothing). */
  watch(): () => void;
  close(): void;
}

/** How often a follower of an embedded log looks for what the owning process appended. */
const EMBEDDED_REFRESH_MS = 200;

export function openEventLog(options: {
  readonly brokers: readonly string[] | undefined;
  readonly dataDir: string;
  readonly clientId: string;
}): ReadableEventLog {
  if (options.brokers && options.brokers.length > 0) {
    return {
      port: kafkaEventLog({ brokers: options.brokers, clientId: options.clientId, logger: silentLogger }),
      description: `Kafka at ${options.brokers.join(',')}`,
      watch: () => () => undefined,
      close: () => undefined,
    };
  }
  const directory = join(resolve(options.dataDir), 'log');
  if (!existsSync(directory))
    throw new UsageError(
      `no embedded log in ${directory}: run \`tributary start\` there first, or name a Kafka cluster with --brokers (KAFKA_BROKERS)`,
    );
  const log = EmbeddedLog.open(directory, { readOnly: true });
  return {
    port: embeddedEventLog(log),
    description: `the embedded log in ${directory}`,
    watch() {
      const timer = setInterval(() => log.refresh(), EMBEDDED_REFRESH_MS);
      return () => clearInterval(timer);
    },
    close: () => log.close(),
  };
}
