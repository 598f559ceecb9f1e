/**
 * The application definition a topology file default-exports: its id, how to build its topology, and
 * the serdes of the topics it reads and writes. The same file serves the test driver, replay and the
 * worker runtime, each of which builds the topology on a fresh StreamsBuilder.
 */
import { ConfigError } from '../errors.ts';
import type { TopicDefinition } from '../dsl/options.ts';
import type { AppHttp } from '../query/api.ts';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import type { ErrorHandlerChoice, ErrorHandling } from '../runtime/error-handling.ts';
import type { Serde } from '../serde/serde.ts';
import type { CompileOptions } from '../topology/compile-options.ts';
import type { Topology } from '../topology/topology.ts';

/** A global symbol, so an app defined through one copy of the package is recognized by another. */
const APP_MARKER = Symbol.for('tributary.app');

/** A topic of any key and value types: a serde of `T` is a serde of `unknown` (see common/functions.ts). */
type AnyTopic = TopicDefinition<unknown, unknown>;

export interface AppDefinition {
  /**
   * Names the consumer group, prefixes internal topics (`<applicationId>-<store>-changelog`) and the
   * state directory. Kafka group id rules: letters, digits, `.`, `_` and `-`.
   */
  readonly applicationId: string;
  /** Adds the topology to a fresh builder; may return a Topology of its own instead. */
  readonly topology: (builder: StreamsBuilder) => void | Topology;
  /** The topics it reads and writes with their serdes (used by replay and tools to read and write them). */
  readonly topics?: readonly AnyTopic[];
  /** Serdes wherever the topology gives none (default: JSON). */
  readonly defaultKeySerde?: Serde<unknown>;
  readonly defaultValueSerde?: Serde<unknown>;
  /** What to do with records that fail to deserialize or to process (default: fail). */
  readonly errorHandling?: Partial<ErrorHandling>;
  /** A line about what the application does, shown by tools. */
  readonly description?: string;
  /**
   * The application's own HTTP routes (an API over its stores, the article's "UI service"). Workers
   * serve them next to the query endpoints when started with `--http`; the test driver and replay
   * ignore them, so the same file works everywhere.
   */
  readonly http?: AppHttp;
}

export interface TributaryApp extends AppDefinition {
  readonly topics: readonly AnyTopic[];
  /** Builds the topology on a fresh StreamsBuilder; each call gives a new, independent Topology. */
  buildTopology(options?: CompileOptions): Topology;
  /** The topic definition this app declares for `topic`, if any. */
  topic(name: string): AnyTopic | undefined;
}

const APPLICATION_ID = /^[a-zA-Z0-9._-]+$/;
// Internal topics are `<applicationId>-<name>`, and Kafka topic names are at most 249 characters.
const MAX_APPLICATION_ID_LENGTH = 200;
const handlerChoices: readonly ErrorHandlerChoice[] = ['fail', 'log-and-continue', 'dead-letter'];

export function validateApplicationId(applicationId: unknown): string {
  if (typeof applicationId !== 'string' || applicationId.length === 0)
    throw new ConfigError('applicationId is required: a non-empty string such as "order-details"');
  if (!APPLICATION_ID.test(applicationId))
    throw new ConfigError(
      `applicationId "${applicationId}" may only contain letters, digits, ".", "_" and "-" (it names the consumer group and prefixes topic names)`,
    );
  if (applicationId.length > MAX_APPLICATION_ID_LENGTH)
    throw new ConfigError(
      `applicationId "${applicationId.slice(0, 20)}..." is ${applicationId.length} characters; at most ${MAX_APPLICATION_ID_LENGTH} leave room for internal topic names`,
    );
  return applicationId;
}

function validateErrorHandling(applicationId: string, handling: Partial<ErrorHandling> | undefined): void {
  if (handling === undefined) return;
  for (const key of ['deserialization', 'processing', 'production'] as const) {
    const choice = handling[key];
    if (choice !== undefined && !handlerChoices.includes(choice))
      throw new ConfigError(
        `${applicationId}: errorHandling.${key} must be one of ${handlerChoices.join(', ')}, got ${JSON.stringify(choice)}`,
      );
  }
}

/**
 * Defines an application: what a topology file default-exports for `tributary run`, `start`, `replay`,
 * `record` and `describe`. Checks the definition at once, so a mistake shows when the file is loaded
 * rather than at start-up. The application id names the consumer group, the state directory and the
 * internal topics.
 *
 * @example
 * ```ts
 * export default defineApp({
 *   applicationId: 'order-details',
 *   topics: [topics.orders, topics.orderValidations],
 *   topology: (builder) => {
 *     builder.stream(topics.orders).mapValues(validate).to(topics.orderValidations);
 *   },
 * });
 * ```
 */
export function defineApp(definition: AppDefinition): TributaryApp {
  if (definition === null || typeof definition !== 'object')
    throw new ConfigError('defineApp() needs an object with applicationId and topology');
  const applicationId = validateApplicationId(definition.applicationId);
  if (typeof definition.topology !== 'function')
    throw new ConfigError(
      `${applicationId}: topology must be a function that adds the topology to the StreamsBuilder it is given`,
    );
  validateErrorHandling(applicationId, definition.errorHandling);
  if (definition.http !== undefined && typeof definition.http !== 'function')
    throw new ConfigError(
      `${applicationId}: http must be a function that adds routes: http: (routes, context) => { routes.get(...) }`,
    );
  const topics = [...(definition.topics ?? [])];
  const seen = new Map<string, AnyTopic>();
  for (const topic of topics) {
    if (!topic || typeof topic.name !== 'string' || !topic.keySerde || !topic.valueSerde)
      throw new ConfigError(
        `${applicationId}: topics must be topic definitions (defineTopic(name, keySerde, valueSerde))`,
      );
    const other = seen.get(topic.name);
    if (other && other !== topic)
      throw new ConfigError(`${applicationId}: topic "${topic.name}" is listed twice in topics`);
    seen.set(topic.name, topic);
  }

  const app: TributaryApp = {
    ...definition,
    applicationId,
    topics,
    buildTopology(options: CompileOptions = {}): Topology {
      const builder = new StreamsBuilder({
        defaultKeySerde: definition.defaultKeySerde,
        defaultValueSerde: definition.defaultValueSerde,
      });
      const result = definition.topology(builder);
      if (result === undefined) return builder.build(options);
      if (result && typeof result === 'object' && Array.isArray(result.subtopologies)) {
        if (options.renameTopic)
          throw new ConfigError(
            `${applicationId}: topology() returned a built Topology, so its topics cannot be renamed`,
          );
        return result;
      }
      throw new ConfigError(
        `${applicationId}: topology() must add to the builder it is given (and return nothing) or return a Topology`,
      );
    },
    topic: (name) => seen.get(name),
  };
  Object.defineProperty(app, APP_MARKER, { value: true });
  return Object.freeze(app);
}

/** True for what `defineApp` returned (also across copies of the package). */
export function isTributaryApp(value: unknown): value is TributaryApp {
  return value !== null && typeof value === 'object' && APP_MARKER in value && value[APP_MARKER] === true;
}
