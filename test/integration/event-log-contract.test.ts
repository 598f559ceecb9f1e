import { kafkaEventLog } from '../../src/kafka/kafkajs/event-log.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { describeEventLogContract } from '../embedded/event-log-contract.ts';
import { kafkaBrokers } from '../support/kafka-kit.ts';

const brokers = kafkaBrokers();

// The same contract the embedded log is held to (test/embedded/), here on a real broker through kafkajs.
if (brokers)
  describeEventLogContract('Kafka through kafkajs', {
    port: () => kafkaEventLog({ brokers: brokers.split(','), clientId: 'contract', logger: silentLogger }),
    patienceMs: 60_000,
    quietMs: 1_500,
  });
