import type avro from 'avsc';
import { SerdeError } from '../errors.ts';
import { decodeAvro } from './avro.ts';
import type { SchemaRegistryClient } from './registry.ts';
import type { Serde, SerdeContext } from './serde.ts';
import { toError } from '../common/to-error.ts';

/** Confluent's wire format: magic byte 0, the schema id as a big-endian u32, then the Avro binary. */
const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

/** The subject of a topic's keys or values (Confluent's TopicNameStrategy). */
export function subjectName(topic: string, part: 'key' | 'value'): string {
  return `${topic}-${part}`;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** A stable number for a serde object, to key maps by it. */
export function serdeIdentity(serde: Serde<unknown>): number {
  let id = identities.get(serde);
  if (id === undefined) identities.set(serde, (id = nextIdentity++));
  return id;
}

export interface RegistryAvroSerdeOptions<T> {
  /** The plain Avro serde being framed: it encodes and decodes the payload. */
  readonly plain: Serde<T>;
  readonly type: avro.Type;
  readonly registry: SchemaRegistryClient;
  /** Ids registered at start for `type`, by subject. */
  readonly ids: ReadonlyMap<string, number>;
  /** The id for topics whose subject was not registered at start (topics a sink chooses per record). */
  readonly fallbackId?: number;
}

/**
 * An Avro serde in the schema registry's wire format. It stays synchronous: encoding uses the id
 * registered for the topic's subject at start; decoding a payload written with another schema needs
 * that writer schema, which `prepare` fetches (the runtime awaits it for every fetched batch) and
 * which is then resolved into this serde's schema as Avro's schema resolution says.
 */
export function registryAvroSerde<T>(options: RegistryAvroSerdeOptions<T>): Serde<T> {
  const { plain, type, registry, ids, fallbackId } = options;
  /** Ids whose schema is this serde's own: their payload is plain Avro of `type`. */
  const own = new Set(ids.values());
  if (fallbackId !== undefined) own.add(fallbackId);
  const resolvers = new Map<number, avro.Resolver>();
  const where = (context?: SerdeContext) => (context ? ` (${context.part} of topic "${context.topic}")` : '');

  const idOf = (bytes: Uint8Array, context?: SerdeContext): number => {
    if (bytes.byteLength < HEADER_BYTES || bytes[0] !== MAGIC_BYTE)
      throw new SerdeError(
        `bytes are not in the schema registry wire format${where(context)}: expected magic byte 0 and a schema id, got ${bytes.byteLength === 0 ? 'no bytes' : `first byte ${bytes[0]} of ${bytes.byteLength}`}`,
      );
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  };

  const resolverFor = (id: number, context?: SerdeContext): avro.Resolver => {
    let resolver = resolvers.get(id);
    if (resolver) return resolver;
    const writer = registry.writer(id);
    if (!writer) {
      const failure = registry.fetchFailure(id);
      throw new SerdeError(
        `schema id ${id}${where(context)} is unknown here: ${failure ? failure.message : 'its schema was not fetched before decoding'}`,
        { cause: failure },
      );
    }
    try {
      resolver = type.createResolver(writer);
    } catch (cause) {
      throw new SerdeError(
        `data written with schema id ${id} (${writer.name ?? writer.typeName})${where(context)} cannot be read as ${type.name ?? type.typeName}: ${toError(cause).message}`,
        { cause },
      );
    }
    resolvers.set(id, resolver);
    return resolver;
  };

  return {
    name: plain.name,
    serialize(value, context) {
      const subject = context ? subjectName(context.topic, context.part) : undefined;
      const id = (subject === undefined ? undefined : ids.get(subject)) ?? fallbackId;
      if (id === undefined)
        throw new SerdeError(
          `no schema registered for subject "${subject ?? '(no topic)'}"${where(context)}: schemas are registered at start for the topics the topology names`,
        );
      const payload = plain.serialize(value, context);
      const framed = new Uint8Array(HEADER_BYTES + payload.byteLength);
      new DataView(framed.buffer).setUint32(1, id);
      framed.set(payload, HEADER_BYTES);
      return framed;
    },
    prepare(bytes) {
      if (bytes.byteLength < HEADER_BYTES || bytes[0] !== MAGIC_BYTE) return undefined;
      const id = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
      if (own.has(id) || registry.writer(id)) return undefined;
      return registry.fetchWriter(id);
    },
    deserialize(bytes, context) {
      const id = idOf(bytes, context);
      const payload = bytes.subarray(HEADER_BYTES);
      if (own.has(id)) return plain.deserialize(payload, context);
      const resolver = resolverFor(id, context);
      try {
        return decodeAvro(type, payload, resolver) as T;
      } catch (cause) {
        throw new SerdeError(
          `bytes are not a valid ${plain.name} written with schema id ${id}${where(context)}: ${toError(cause).message}`,
          { cause },
        );
      }
    },
    toJson: plain.toJson?.bind(plain),
    fromJson: plain.fromJson?.bind(plain),
  };
}
