import { DEFAULT_KAFKA_CLIENT, type KafkaConnection } from './connection.ts';
import { kafkaEventLog as kafkajsEventLog } from './kafkajs/event-log.ts';
import { platformaticEventLog } from './platformatic/event-log.ts';
import type { EventLogPort } from './port.ts';

/** The event-log port on a real Kafka cluster, through the client the connection names. */
export function kafkaEventLog(connection: KafkaConnection): EventLogPort {
  return (connection.client ?? DEFAULT_KAFKA_CLIENT) === 'platformatic'
    ? platformaticEventLog(connection)
    : kafkajsEventLog(connection);
}
