import { ConfigError } from '../../errors.ts';
import { DEFAULT_RECORD_CACHE_MAX_BYTES } from '../../state/cache/record-cache.ts';
import { DEFAULT_CACHE_MAX_BYTES } from '../../state/leveldb/read-cache.ts';
import { DEFAULT_TASK_TIMEOUT_MS } from '../../kafka/retry.ts';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENTS, type KafkaClient } from '../../kafka/connection.ts';
import { DEFAULT_MAX_PARTITION_FETCH_BYTES } from '../../kafka/port.ts';
import type { ErrorHandlerChoice } from '../error-handling.ts';
import { httpUrl, integer, oneOf, text } from './setting-parsers.ts';
import { SECURITY_SETTINGS } from './security-settings.ts';

/**
 * Stream threads per worker process (Kafka Streams' `num.stream.threads`, whose default is 1 too):
 * see docs/operations.md and the scaling figures in docs/benchmarks.md.
 */
export const DEFAULT_STREAM_THREADS = 1;

export type ProcessingGuarantee = 'at-least-once' | 'exactly-once';

/**
 * The worker's settings, one row each: where a value comes from (a flag, an environment variable, a
 * key of the JSON config file), how it is read, its default, and how `--help` explains it. A new
 * setting is added here (and read into `WorkerConfig` in config.ts); `tributary run` and `tributary
 * start` take their flags and their help from this table.
 */
export interface Setting<T> {
  readonly flag: string;
  readonly env: string;
  readonly file: string;
  readonly parse: (raw: unknown, where: string) => T;
  readonly fallback: () => T;
  readonly help: SettingHelp;
  /**
   * For a secret: the environment variable that holds the value itself. The flag, `env` and the
   * config file then give only a path to a file holding it (a mounted secret), so a secret never
   * sits on a command line or in a config file.
   */
  readonly valueEnv?: string;
}

/** How a setting is explained in a command's help. */
export interface SettingHelp {
  /** What the flag takes, e.g. `<ms>`. */
  readonly value: string;
  /** What the setting does, briefly. */
  readonly meaning: string;
  /** The default as a user reads it, or `required`. */
  readonly default: string;
}

const brokerList = (raw: unknown, where: string): string[] => {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  const brokers = list?.map((b) => String(b).trim()).filter((b) => b !== '');
  if (!brokers || brokers.length === 0)
    throw new ConfigError(`${where} must list host:port addresses, got ${JSON.stringify(raw)}`);
  for (const broker of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(broker))
      throw new ConfigError(`${where}: "${broker}" is not a host:port address`);
  }
  return brokers;
};

const guarantee = (raw: unknown, where: string): ProcessingGuarantee => {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase().replace(/_/g, '-') : raw;
  const aliases: Record<string, ProcessingGuarantee> = {
    'at-least-once': 'at-least-once',
    alos: 'at-least-once',
    'exactly-once': 'exactly-once',
    'exactly-once-v2': 'exactly-once',
    eos: 'exactly-once',
  };
  const parsed = typeof value === 'string' ? aliases[value] : undefined;
  if (!parsed)
    throw new ConfigError(`${where} must be at-least-once or exactly-once, got ${JSON.stringify(raw)}`);
  return parsed;
};

const handler = oneOf<ErrorHandlerChoice>('fail', 'log-and-continue', 'dead-letter');

const httpEndpoint = (raw: unknown, where: string): { host: string; port: number } => {
  const value = text(raw, where);
  const match = /^(?:(.*):)?(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535)
    throw new ConfigError(`${where} must be host:port or a port, got ${JSON.stringify(raw)}`);
  return { host: match[1] || '0.0.0.0', port };
};

export const SETTINGS = {
  brokers: {
    flag: 'brokers',
    env: 'KAFKA_BROKERS',
    file: 'brokers',
    parse: brokerList,
    fallback: () => undefined,
    help: { value: '<host:port,...>', meaning: 'Kafka bootstrap servers', default: 'required' },
  } as Setting<readonly string[] | undefined>,
  stateDir: {
    flag: 'state-dir',
    env: 'STATE_DIR',
    file: 'stateDir',
    parse: text,
    fallback: () => './data/state',
    help: { value: '<dir>', meaning: 'where stores live', default: './data/state' },
  },
  recordCacheMaxBytes: {
    flag: 'record-cache-max-bytes',
    env: 'RECORD_CACHE_MAX_BYTES',
    file: 'recordCacheMaxBytes',
    parse: integer(0),
    fallback: () => DEFAULT_RECORD_CACHE_MAX_BYTES,
    help: {
      value: '<bytes>',
      meaning:
        "record cache of each application (Kafka Streams' statestore.cache.max.bytes): a table's updates of a key between commits go downstream once (0: off)",
      default: `${DEFAULT_RECORD_CACHE_MAX_BYTES} (10 MiB)`,
    },
  },
  readCacheMaxBytes: {
    flag: 'read-cache-max-bytes',
    env: 'READ_CACHE_MAX_BYTES',
    file: 'readCacheMaxBytes',
    parse: integer(0),
    fallback: () => DEFAULT_CACHE_MAX_BYTES,
    help: {
      value: '<bytes>',
      meaning: "LevelDB stores' read cache, all stores' together (0: none)",
      default: `${DEFAULT_CACHE_MAX_BYTES} (64 MiB)`,
    },
  },
  processingGuarantee: {
    flag: 'guarantee',
    env: 'PROCESSING_GUARANTEE',
    file: 'processingGuarantee',
    parse: guarantee,
    fallback: () => 'at-least-once' as const,
    help: { value: '<g>', meaning: 'at-least-once or exactly-once', default: 'at-least-once' },
  },
  commitIntervalMs: {
    flag: 'commit-interval-ms',
    env: 'COMMIT_INTERVAL_MS',
    file: 'commitIntervalMs',
    parse: integer(1),
    fallback: () => -1,
    help: { value: '<ms>', meaning: 'how often work is committed', default: '30000; exactly-once 100' },
  },
  numStreamThreads: {
    flag: 'threads',
    env: 'NUM_STREAM_THREADS',
    file: 'numStreamThreads',
    parse: integer(1, 64),
    fallback: () => DEFAULT_STREAM_THREADS,
    help: {
      value: '<n>',
      meaning: 'stream threads in this process, each a group member with its own tasks',
      default: String(DEFAULT_STREAM_THREADS),
    },
  },
  numStandbyReplicas: {
    flag: 'standby-replicas',
    env: 'NUM_STANDBY_REPLICAS',
    file: 'numStandbyReplicas',
    parse: integer(0, 10),
    fallback: () => 0,
    help: { value: '<n>', meaning: "standby copies of each task's stores", default: '0' },
  },
  sessionTimeoutMs: {
    flag: 'session-timeout-ms',
    env: 'SESSION_TIMEOUT_MS',
    file: 'sessionTimeoutMs',
    // The broker refuses values outside group.min/max.session.timeout.ms (6 s and 30 min by default).
    parse: integer(1_000),
    fallback: () => 45_000,
    help: { value: '<ms>', meaning: 'how long a crashed worker keeps its tasks', default: '45000' },
  },
  taskTimeoutMs: {
    flag: 'task-timeout-ms',
    env: 'TASK_TIMEOUT_MS',
    file: 'taskTimeoutMs',
    parse: integer(0),
    fallback: () => DEFAULT_TASK_TIMEOUT_MS,
    help: {
      value: '<ms>',
      meaning: 'how long passing Kafka errors are retried before the worker exits',
      default: String(DEFAULT_TASK_TIMEOUT_MS),
    },
  },
  maxBufferedRecordsPerPartition: {
    flag: 'max-buffered-records',
    env: 'MAX_BUFFERED_RECORDS_PER_PARTITION',
    file: 'maxBufferedRecordsPerPartition',
    parse: integer(1),
    fallback: () => 1000,
    help: { value: '<n>', meaning: 'fetched records held per partition', default: '1000' },
  },
  maxPartitionFetchBytes: {
    flag: 'max-partition-fetch-bytes',
    env: 'MAX_PARTITION_FETCH_BYTES',
    file: 'maxPartitionFetchBytes',
    parse: integer(1),
    fallback: () => DEFAULT_MAX_PARTITION_FETCH_BYTES,
    help: {
      value: '<bytes>',
      meaning: "record bytes one fetch asks for per partition (Kafka's max.partition.fetch.bytes)",
      default: String(DEFAULT_MAX_PARTITION_FETCH_BYTES),
    },
  },
  maxTaskIdleMs: {
    flag: 'max-task-idle-ms',
    env: 'MAX_TASK_IDLE_MS',
    file: 'maxTaskIdleMs',
    parse: integer(-1),
    fallback: () => 0,
    help: { value: '<ms>', meaning: 'wait for lagging join inputs (-1: never)', default: '0' },
  },
  deserializationHandler: {
    flag: 'on-deserialization-error',
    env: 'ON_DESERIALIZATION_ERROR',
    file: 'onDeserializationError',
    parse: handler,
    fallback: () => 'fail' as const,
    help: { value: '<h>', meaning: 'fail, log-and-continue or dead-letter', default: 'fail' },
  },
  processingHandler: {
    flag: 'on-processing-error',
    env: 'ON_PROCESSING_ERROR',
    file: 'onProcessingError',
    parse: handler,
    fallback: () => 'fail' as const,
    help: { value: '<h>', meaning: 'fail, log-and-continue or dead-letter', default: 'fail' },
  },
  productionHandler: {
    flag: 'on-production-error',
    env: 'ON_PRODUCTION_ERROR',
    file: 'onProductionError',
    parse: handler,
    fallback: () => 'fail' as const,
    help: { value: '<h>', meaning: 'fail, log-and-continue or dead-letter', default: 'fail' },
  },
  deadLetterTopic: {
    flag: 'dead-letter-topic',
    env: 'DEAD_LETTER_TOPIC',
    file: 'deadLetterTopic',
    parse: text,
    fallback: () => undefined,
    help: { value: '<topic>', meaning: 'where dead letters go', default: '<applicationId>-dlq' },
  } as Setting<string | undefined>,
  http: {
    flag: 'http',
    env: 'TRIBUTARY_HTTP',
    file: 'http',
    parse: httpEndpoint,
    fallback: () => undefined,
    help: { value: '<host:port>', meaning: 'serve queries and app routes here', default: 'off' },
  } as Setting<{ host: string; port: number } | undefined>,
  advertised: {
    flag: 'advertised',
    env: 'TRIBUTARY_ADVERTISED',
    file: 'advertised',
    parse: text,
    fallback: () => undefined,
    help: { value: '<host:port>', meaning: 'address other workers reach this one at', default: '--http' },
  } as Setting<string | undefined>,
  schemaRegistryUrl: {
    flag: 'schema-registry',
    env: 'SCHEMA_REGISTRY_URL',
    file: 'schemaRegistryUrl',
    parse: httpUrl,
    fallback: () => undefined,
    help: { value: '<url>', meaning: "Avro topics in a registry's wire format", default: 'none' },
  } as Setting<string | undefined>,
  kafkaClient: {
    flag: 'kafka-client',
    env: 'KAFKA_CLIENT',
    file: 'kafkaClient',
    parse: oneOf(...KAFKA_CLIENTS),
    fallback: () => DEFAULT_KAFKA_CLIENT,
    help: {
      value: '<kafkajs|platformatic>',
      meaning: 'the Kafka client library (see docs/architecture.md)',
      default: DEFAULT_KAFKA_CLIENT,
    },
  } as Setting<KafkaClient>,
  clientId: {
    flag: 'client-id',
    env: 'TRIBUTARY_CLIENT_ID',
    file: 'clientId',
    parse: text,
    fallback: () => 'tributary',
    help: { value: '<id>', meaning: 'Kafka client id prefix', default: 'tributary' },
  },
  ...SECURITY_SETTINGS,
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    file: 'logLevel',
    parse: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'),
    fallback: () => 'info' as const,
    help: { value: '<level>', meaning: 'trace, debug, info, warn, error or silent', default: 'info' },
  },
  logFormat: {
    flag: 'log-format',
    env: 'LOG_FORMAT',
    file: 'logFormat',
    parse: oneOf('json', 'pretty'),
    fallback: () => undefined,
    help: {
      value: '<json|pretty>',
      meaning: 'json, or pretty for people',
      default: 'pretty on a terminal, else json',
    },
  } as Setting<'json' | 'pretty' | undefined>,
} satisfies Record<string, Setting<unknown>>;

/** `--config`: not a setting itself but where the others may come from (a JSON file, keys in camelCase). */
export const CONFIG_FILE = {
  flag: 'config',
  env: 'TRIBUTARY_CONFIG',
  help: { value: '<file.json>', meaning: 'settings as JSON, keys in camelCase', default: 'none' },
} as const;

/** Every flag that sets a worker setting, `--config` included: what a command's argument parser accepts. */
export function settingFlags(): string[] {
  return [...Object.values(SETTINGS).map((s) => s.flag), CONFIG_FILE.flag];
}

/** One row of a help table: a flag with its value, its environment variable, what it does, its default. */
export interface HelpRow {
  readonly flag: string;
  readonly env: string;
  readonly help: SettingHelp;
}

/**
 * The settings as help rows, in the order the table lists them. `defaults` replaces the default shown
 * for a flag, for a command that sets its own (`start` puts stores under its data directory).
 */
export function settingHelpRows(defaults: Readonly<Record<string, string>> = {}): HelpRow[] {
  return [...Object.values(SETTINGS), CONFIG_FILE].map((s) => ({
    flag: s.flag,
    env: s.env,
    help: defaults[s.flag] === undefined ? s.help : { ...s.help, default: defaults[s.flag]! },
  }));
}

/** Renders help rows as aligned columns: `--flag <value>   ENV_VAR   meaning (default: ...)`. */
export function helpTable(rows: readonly HelpRow[]): string {
  const flags = rows.map((r) => `--${r.flag} ${r.help.value}`);
  const flagWidth = Math.max(...flags.map((f) => f.length));
  const envWidth = Math.max(...rows.map((r) => r.env.length));
  return rows
    .map((row, i) => {
      const fallback = row.help.default === 'required' ? 'required' : `default: ${row.help.default}`;
      return `  ${flags[i]!.padEnd(flagWidth)}  ${row.env.padEnd(envWidth)}  ${row.help.meaning} (${fallback})`;
    })
    .join('\n');
}
