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

/**
 * The built-in serdes: Kafka Streams' `Serdes`, plus JSON and Avro. Byte layouts match the Java ones.
 *
 * @example
 * ```ts
 * defineTopic('page-views', Serdes.String(), Serdes.Json<PageView>());
 * ```
 */
export const Serdes = {
  /**
   * UTF-8 text (Kafka's StringSerializer).
   *
   * @example
   * ```ts
   * defineTopic('words', Serdes.String(), Serdes.String());
   * ```
   */
  String: (): Serde<string> => stringSerde(),
  /**
   * 32-bit integer (Kafka's IntegerSerializer layout).
   *
   * @example
   * ```ts
   * defineTopic('warehouse-inventory', Serdes.String(), Serdes.Int());
   * ```
   */
  Int: (): Serde<number> => intSerde(),
  /**
   * 64-bit integer as a JS number (Kafka's LongSerializer layout); refuses values beyond Number.MAX_SAFE_INTEGER rather than round them.
   *
   * @example
   * ```ts
   * defineTopic('customers', Serdes.Long(), schemas.serde<Customer>('Customer'));
   * ```
   */
  Long: (): Serde<number> => longSerde(),
  /**
   * 64-bit integer as a bigint, for the full range.
   *
   * @example
   * ```ts
   * defineTopic('sequence-numbers', Serdes.String(), Serdes.LongBigInt());
   * ```
   */
  LongBigInt: (): Serde<bigint> => longBigIntSerde(),
  /**
   * 64-bit floating point (Kafka's DoubleSerializer layout).
   *
   * @example
   * ```ts
   * defineTopic('prices', Serdes.String(), Serdes.Double());
   * ```
   */
  Double: (): Serde<number> => doubleSerde(),
  /**
   * The bytes as they are (a Uint8Array).
   *
   * @example
   * ```ts
   * defineTopic('blobs', Serdes.String(), Serdes.Bytes());
   * ```
   */
  Bytes: (): Serde<Uint8Array> => bytesSerde(),
  /**
   * JSON text; the type parameter says what the values are (no validation beyond parsing).
   *
   * @example
   * ```ts
   * defineTopic('clicks', Serdes.String(), Serdes.Json<{ page: string; at: number }>());
   * ```
   */
  Json: <T>(): Serde<T> => jsonSerde<T>(),
  /**
   * Avro binary (no registry framing) for an `avsc` type; with `--schema-registry` the topic uses the registry's wire format.
   *
   * @example
   * ```ts
   * Serdes.Avro<Order>(avro.Type.forSchema(orderSchema));
   * ```
   */
  Avro: <T>(type: avro.Type): Serde<T> => avroSerde<T>(type),
  /**
   * Keys of fixed-size windows: the inner key followed by the window start (Kafka Streams' TimeWindowedSerde).
   *
   * @example
   * ```ts
   * defineTopic('clicks-per-minute', Serdes.TimeWindowed(Serdes.String(), 60_000), Serdes.Long());
   * ```
   */
  TimeWindowed: timeWindowedSerde,
  /**
   * Keys of session windows: the inner key, then the session's end and start (Kafka Streams' SessionWindowedSerde).
   *
   * @example
   * ```ts
   * defineTopic('sessions', Serdes.SessionWindowed(Serdes.String()), Serdes.Long());
   * ```
   */
  SessionWindowed: sessionWindowedSerde,
};
