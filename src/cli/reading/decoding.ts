/**
 * Turns records read off a topic into the recording's JSON form with the serdes the topology files
 * define for that topic (the ones replay writes it with), reading the schema registry's wire format
 * when a registry is given.
 */
import type { TributaryApp } from '../../app/define-app.ts';
import { errorMessage } from '../../errors.ts';
import type { LogRecord } from '../../kafka/port.ts';
import { avroTypeOf } from '../../serde/avro.ts';
import { SchemaRegistryClient } from '../../serde/registry.ts';
import { registryAvroSerde } from '../../serde/registry-serde.ts';
import type { Serde } from '../../serde/serde.ts';
import { decodeToRecorded, type DecodedRecord } from '../../testing/recorded-bytes.ts';
import { topicSerdeCatalog, type TopicSerdes } from '../../testing/replay-serdes.ts';

export interface TopicDecoder {
  /** True when a topology file reads or writes the topic, so its serdes are known. */
  knows(topic: string): boolean;
  decode(record: LogRecord): Promise<DecodedRecord>;
}

export function topicDecoder(
  apps: readonly TributaryApp[],
  options: { schemaRegistryUrl?: string; clientId?: string } = {},
): TopicDecoder {
  const catalog = topicSerdeCatalog(apps.map((app) => ({ app, topology: app.buildTopology() })));
  const registry = options.schemaRegistryUrl
    ? new SchemaRegistryClient({ url: options.schemaRegistryUrl, clientId: options.clientId ?? 'tributary' })
    : undefined;
  const wired = new Map<string, TopicSerdes | undefined>();
  const serdesOf = (topic: string): TopicSerdes | undefined => {
    if (wired.has(topic)) return wired.get(topic);
    const plain = catalog.forInput(topic);
    const serdes =
      plain && registry
        ? { keySerde: onWire(plain.keySerde, registry), valueSerde: onWire(plain.valueSerde, registry) }
        : plain;
    wired.set(topic, serdes);
    return serdes;
  };
  return {
    knows: (topic) => catalog.forInput(topic) !== undefined,
    decode: (record) => decodeToRecorded(record, serdesOf(record.topic)),
  };
}

/** An Avro serde reads the registry's wire format, fetching writer schemas by id; others are as they are. */
function onWire(serde: Serde<unknown>, registry: SchemaRegistryClient): Serde<unknown> {
  const type = avroTypeOf(serde);
  return type ? registryAvroSerde({ plain: serde, type, registry, ids: new Map() }) : serde;
}

/** `orders partition 2 offset 42: the value cannot be read with serde Order: ...` */
export function describeDecodeFailures(record: LogRecord, decoded: DecodedRecord): string[] {
  return decoded.failures.map(
    (f) =>
      `topic "${record.topic}" partition ${record.partition} offset ${record.offset}: the ${f.part} cannot be read with serde ${f.serde}: ${errorMessage(f.error)}; kept as its bytes ("raw${f.part === 'key' ? 'Key' : 'Value'}", base64)`,
  );
}
