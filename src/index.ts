/**
 * The public API of Tributary: the DSL, serdes, stores, the Processor API, topologies as data, and
 * `defineApp`. Everything not exported here is internal and may change.
 *
 * @module tributary
 */
export { StreamsBuilder, type StreamsBuilderOptions, type TableOptions } from './dsl/streams-builder.ts';
export { KStream, type Predicate, type ValueJoiner, type ProcessOptions } from './dsl/kstream.ts';
export { KTable, type TransformValuesOptions } from './dsl/ktable.ts';
export { GlobalKTable } from './dsl/global-ktable.ts';
export {
  KGroupedStream,
  TimeWindowedKStream,
  SessionWindowedKStream,
  type Aggregator,
  type Initializer,
  type Merger,
  type Reducer,
} from './dsl/kgrouped-stream.ts';
export { KGroupedTable } from './dsl/kgrouped-table.ts';
export {
  CogroupedKStream,
  SessionWindowedCogroupedKStream,
  TimeWindowedCogroupedKStream,
} from './dsl/cogrouped-kstream.ts';
export { BranchedKStream } from './dsl/branched-kstream.ts';
export { TimeWindows, SlidingWindows, SessionWindows, JoinWindows } from './dsl/windows.ts';
export { EmitStrategy } from './dsl/emit-strategy.ts';
export { Suppressed, type BufferConfig } from './dsl/suppressed.ts';
export {
  defineTopic,
  type Consumed,
  type ForeignKeyJoined,
  type Grouped,
  type Joined,
  type Materialized,
  type Named,
  type Produced,
  type Repartitioned,
  type StreamJoined,
  type TopicDefinition,
} from './dsl/options.ts';

export { Topology } from './topology/topology.ts';
export type { CompileOptions } from './topology/compile-options.ts';
export type { StreamPartitioner, TimestampExtractor, TopicNameExtractor } from './topology/functions.ts';
export {
  TopologyDescription,
  type DescribeOptions,
  type GlobalStoreDescription,
  type InternalTopicDescription,
  type NodeDescription,
  type ProcessorDescription,
  type SinkDescription,
  type SourceDescription,
  type StoreDescription,
  type SubtopologyDescription,
  type TopologyDescriptionJson,
} from './topology/describe.ts';
export { diffTopologies, type DiffInput, type TopologyChange, type TopologyDiff } from './topology/diff.ts';
export { FunctionRegistry, named, type FunctionsInput } from './topology/json/function-registry.ts';
export {
  TOPOLOGY_JSON_VERSION,
  topologyToJson,
  type TopologyJson,
  type TopologyNodeJson,
  type TopologyToJsonOptions,
} from './topology/json/to-json.ts';
export { irFromJson, topologyFromJson, type TopologyFromJsonOptions } from './topology/json/from-json.ts';

export { defineApp, isTributaryApp, type AppDefinition, type TributaryApp } from './app/define-app.ts';
export {
  HttpError,
  json,
  type HttpRequest,
  type HttpResponse,
  type HttpRoutes,
  type RouteHandler,
} from './http/types.ts';
export type {
  AppHttp,
  AppHttpContext,
  SendOptions,
  SentRecord,
  StoreClient,
  StoreReadOptions,
} from './query/api.ts';
export { QueryTimeoutError, QueryUnavailableError } from './query/errors.ts';

export {
  PunctuationType,
  taskIdString,
  type Cancellable,
  type FixedKeyProcessor,
  type FixedKeyProcessorContext,
  type FixedKeyProcessorSupplier,
  type ProcessingContext,
  type Processor,
  type ProcessorContext,
  type ProcessorSupplier,
  type Punctuator,
  type TaskId,
  type ValueTransformerWithKey,
  type ValueTransformerWithKeySupplier,
} from './processor/api.ts';
export {
  keyValue,
  streamRecord,
  withKey,
  withHeaders,
  withKeyValue,
  withTimestamp,
  withValue,
  type FixedKeyRecord,
  type HeaderValue,
  type Headers,
  type KeyValue,
  type RecordMetadata,
  type StreamRecord,
} from './processor/record.ts';
export type { Offset } from './common/offset.ts';

export { Stores } from './state/stores.ts';
export { VersionedStore } from './state/api.ts';
export type {
  KeyValueStore,
  KeyValueStoreSpec,
  RangeOptions,
  ReadOnlyKeyValueStore,
  ReadOnlySessionStore,
  ReadOnlyVersionedKeyValueStore,
  ReadOnlyWindowStore,
  ResultOrder,
  SessionStore,
  SessionStoreSpec,
  StateStore,
  StoreBackend,
  StoreSpec,
  TimestampedKeyValueStore,
  ValueAndTimestamp,
  VersionedKeyValueStore,
  VersionedKeyValueStoreSpec,
  VersionedRecord,
  VersionsQuery,
  Window,
  WindowEntry,
  WindowStore,
  WindowStoreSpec,
  Windowed,
} from './state/api.ts';

export { Serdes } from './serde/serdes.ts';
export { AvroSchemas, avroSerde } from './serde/avro.ts';
export type { Serde, SerdeContext, SerdeType } from './serde/serde.ts';

export {
  ConfigError,
  ProcessingError,
  SerdeError,
  StoreError,
  TopologyError,
  TributaryError,
  type ErrorCode,
  type RecordOrigin,
} from './errors.ts';
export type { ErrorHandlerChoice, ErrorHandling } from './runtime/error-handling.ts';
