import type avro from 'avsc';
import { avroSerde } from './avro.ts';
import {
  bytesSerde,
  doubleSerde,
  intSerde,
  jsonSerde,
  longBigIntSerde,
  longSerde,
  stringSerde,
} from './primitives.ts';
import type { Serde } from './serde.ts';
import { sessionWindowedSerde, timeWindowedSerde } from './windowed.ts';

/** The built-in serdes: Kafka Streams' `Serdes`, plus JSON and Avro. */
export const Serdes = {
  String: (): Serde<string> => stringSerde(),
  /** 32-bit integer (Kafka's IntegerSerializer layout). */
  Int: (): Serde<number> => intSerde(),
  /** 64-bit integer as a JS number; refuses values beyond Number.MAX_SAFE_INTEGER rather than round them. */
  Long: (): Serde<number> => longSerde(),
  /** 64-bit integer as a bigint, for the full range. */
  LongBigInt: (): Serde<bigint> => longBigIntSerde(),
  Double: (): Serde<number> => doubleSerde(),
  Bytes: (): Serde<Uint8Array> => bytesSerde(),
  Json: <T>(): Serde<T> => jsonSerde<T>(),
  /** Avro binary (no registry framing) for an `avsc` type. */
  Avro: <T>(type: avro.Type): Serde<T> => avroSerde<T>(type),
  TimeWindowed: timeWindowedSerde,
  SessionWindowed: sessionWindowedSerde,
};
