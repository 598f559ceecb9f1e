import { KAFKA_CLIENTS } from '../../src/kafka/connection.ts';
import { kafkaEventLog } from '../../src/kafka/event-log.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { describeEventLogContract } from '../embedded/event-log-contract.ts';
import { kafkaBrokers } from '../support/kafka-kit.ts';

const brokers = kafkaBrokers();

// The same contract the embedded log is held to (test/embedded/), here on a real broker through each client.
if (brokers)
  for (const client of KAFKA_CLIENTS)
    describeEventLogContract(`Kafka through ${client}`, {
      port: () =>
        kafkaEventLog({ brokers: brokers.split(','), clientId: 'contract', client, logger: silentLogger }),
      patienceMs: 60_000,
      quietMs: 1_500,
    });
