import kafkajs, { type Kafka } from 'kafkajs';
import type { DescribeMaxMessageBytes } from '../topic-limits.ts';
import { classified } from './errors.ts';

// kafkajs is CommonJS and Node cannot see this export by name.
const { ConfigResourceTypes } = kafkajs;

/** Reads topics' `max.message.bytes` with a short-lived kafkajs admin. */
export function kafkajsMaxMessageBytes(kafka: Kafka): DescribeMaxMessageBytes {
  return (topics) =>
    classified(`reading max.message.bytes of topics ${topics.join(', ')}`, async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        const { resources } = await admin.describeConfigs({
          resources: topics.map((name) => ({
            type: ConfigResourceTypes.TOPIC,
            name,
            configNames: ['max.message.bytes'],
          })),
          includeSynonyms: false,
        });
        const limits = new Map<string, number>();
        for (const resource of resources) {
          const value = resource.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue;
          if (resource.errorCode === 0 && value !== undefined)
            limits.set(resource.resourceName, Number(value));
        }
        return limits;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    });
}
