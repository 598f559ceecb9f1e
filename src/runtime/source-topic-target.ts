import { SerdeError, errorMessage } from '../errors.ts';
import type { Serde } from '../serde/serde.ts';
import type { ChangelogRecord } from '../state/bytes.ts';
import type { ManagedStore } from '../state/managed-store.ts';
import type { SourceNodeDef } from '../topology/physical.ts';
import type { ErrorHandlerChoice } from './error-handling.ts';
import type { Logger } from '../common/logger.ts';
import { savingStore, storeTarget, type ChangelogTarget } from './changelog-target.ts';

/**
 * Where a store restored from a source topic (a table read from a topic, a global table) gets its
 * records. The topic's bytes go in as they are when the store uses the topic's own serdes; when they
 * differ — a topic in the schema registry's wire format, a store in plain Avro — each record is
 * decoded with the topic's serde and encoded with the store's. A record that does not decode fails
 * the restore, or is skipped with a warning when the deserialization handler lets processing go on.
 */
export function sourceTopicTarget(
  store: ManagedStore,
  source: SourceNodeDef | undefined,
  topic: string,
  onError: ErrorHandlerChoice,
  logger: Logger,
): ChangelogTarget {
  const { keySerde, valueSerde } = store.spec as { keySerde: Serde<unknown>; valueSerde: Serde<unknown> };
  if (!source || (source.keySerde === keySerde && source.valueSerde === valueSerde))
    return storeTarget(store);
  const convert = (bytes: Uint8Array, part: 'key' | 'value', from: Serde<unknown>, to: Serde<unknown>) =>
    from === to ? bytes : to.serialize(from.deserialize(bytes, { topic, part }), { topic, part });
  return {
    save: savingStore(store),
    prepare(records) {
      let pending: Promise<void>[] | undefined;
      for (const record of records) {
        const key = source.keySerde.prepare?.(record.key, { topic, part: 'key' });
        const value = record.value && source.valueSerde.prepare?.(record.value, { topic, part: 'value' });
        if (key) (pending ??= []).push(key);
        if (value) (pending ??= []).push(value);
      }
      return pending && Promise.all(pending).then(() => undefined);
    },
    apply(records) {
      const converted: ChangelogRecord[] = [];
      for (const record of records) {
        try {
          converted.push({
            key: convert(record.key, 'key', source.keySerde, keySerde),
            value: record.value && convert(record.value, 'value', source.valueSerde, valueSerde),
            timestamp: record.timestamp,
          });
        } catch (cause) {
          const error = new SerdeError(
            `cannot restore store "${store.spec.name}" from topic "${topic}": ${errorMessage(cause)}`,
            { cause },
          );
          if (onError === 'fail') throw error;
          logger.warn(
            { err: error, store: store.spec.name, topic },
            `record skipped in restore: ${error.message}`,
          );
        }
      }
      store.restore(converted);
    },
  };
}
