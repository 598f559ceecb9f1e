/** The embedded event log: Kafka's semantics in one process, for `tributary start` without a broker. */
export { EmbeddedLog, type EmbeddedLogOptions } from './embedded-log.ts';
export { embeddedEventLog } from './event-log.ts';
