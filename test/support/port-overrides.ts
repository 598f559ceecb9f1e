import type { EventLogPort, GroupConsumerHandlers } from '../../src/kafka/port.ts';

/**
 * `port` with some of its parts replaced; every other part calls `port`'s own. Its methods are called
 * on `port`, not copied: an adapter's methods read `this`.
 */
export function portWith(port: EventLogPort, overrides: Partial<EventLogPort>): EventLogPort {
  return {
    description: port.description,
    groupFencedOffsets: port.groupFencedOffsets,
    admin: () => port.admin(),
    groupConsumer: (options) => port.groupConsumer(options),
    partitionReader: (options) => port.partitionReader(options),
    producer: (options) => port.producer(options),
    transactionalProducer: (options) => port.transactionalProducer(options),
    ...overrides,
  };
}

/**
 * `port` whose group consumers deliver to the handlers `intercept` makes from the runtime's: a test's
 * way to watch, hold back or reorder what a consumer hands over, on a real event log.
 */
export function interceptingBatches(
  port: EventLogPort,
  intercept: (handlers: GroupConsumerHandlers) => GroupConsumerHandlers,
): EventLogPort {
  return portWith(port, {
    groupConsumer: (options) => {
      const consumer = port.groupConsumer(options);
      return {
        start: (handlers) => consumer.start(intercept(handlers)),
        pause: (partitions) => consumer.pause(partitions),
        resume: (partitions) => consumer.resume(partitions),
        seek: (position) => consumer.seek(position),
        commit: (offsets, commitOptions) => consumer.commit(offsets, commitOptions),
        rejoin: () => consumer.rejoin(),
        stop: () => consumer.stop(),
      };
    },
  });
}
