import { avroTypeOf } from './avro.ts';
import type { SchemaRegistryClient } from './registry.ts';
import { registryAvroSerde, serdeIdentity, subjectName } from './registry-serde.ts';
import type { Serde } from './serde.ts';

/** Turns a topic's serde into the one to put records on the wire with (the same serde when it is not Avro). */
export type WireSerdes = <T>(serde: Serde<T>, topic: string, part: 'key' | 'value') => Promise<Serde<T>>;

/**
 * Wire serdes for records sent outside a topology (an application's HTTP routes): with a schema
 * registry, an Avro serde becomes the registry's wire format for that topic, its schema registered
 * under the topic's subject on first use (once per serde and topic).
 */
export function registryWireSerdes(registry: SchemaRegistryClient): WireSerdes {
  const cache = new Map<string, Promise<Serde<unknown>>>();
  return <T>(serde: Serde<T>, topic: string, part: 'key' | 'value'): Promise<Serde<T>> => {
    const type = avroTypeOf(serde);
    if (!type) return Promise.resolve(serde);
    const key = `${serdeIdentity(serde)}\u0000${topic}\u0000${part}`;
    let wired = cache.get(key);
    if (!wired) {
      const subject = subjectName(topic, part);
      wired = registry.register(subject, type).then((id) => {
        registry.remember(id, type);
        return registryAvroSerde({
          plain: serde,
          type,
          registry,
          ids: new Map([[subject, id]]),
        });
      });
      // A failed registration is tried again next time (the registry may be back).
      wired.catch(() => cache.delete(key));
      cache.set(key, wired);
    }
    return wired as Promise<Serde<T>>;
  };
}
