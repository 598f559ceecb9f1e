import { readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.ts';
import type { ErrorHandlerChoice, ErrorHandling } from '../error-handling.ts';

export type ProcessingGuarantee = 'at-least-once' | 'exactly-once';

/** Everything a worker is configured with; see `loadWorkerConfig` for where each setting comes from. */
export interface WorkerConfig {
  /** Kafka bootstrap servers; undefined runs on the embedded event log. */
  readonly brokers: readonly string[] | undefined;
  readonly clientId: string;
  /** Where stores live: `<stateDir>/<applicationId>/<task>/<store>`. */
  readonly stateDir: string;
  readonly processingGuarantee: ProcessingGuarantee;
  readonly commitIntervalMs: number;
  readonly numStandbyReplicas: number;
  /**
   * How long the group waits for a silent member before moving its tasks elsewhere. A worker that
   * crashes (SIGKILL, lost machine) keeps its tasks this long; a clean stop leaves the group at once.
   */
  readonly sessionTimeoutMs: number;
  /** Fetched records buffered per partition before the partition is paused (back-pressure). */
  readonly maxBufferedRecordsPerPartition: number;
  readonly maxTaskIdleMs: number;
  readonly errorHandling: ErrorHandling;
  /** The worker's query endpoint `host:port`, if it serves queries, and the address others reach it at. */
  readonly http: { readonly host: string; readonly port: number; readonly advertised: string } | undefined;
  /** A Confluent-compatible schema registry: Avro topics then use its wire format. */
  readonly schemaRegistryUrl: string | undefined;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** 'json' for production, 'pretty' for a terminal; default: pretty when stdout is a terminal. */
  readonly logFormat: 'json' | 'pretty';
}

/** One setting: its flag, environment variable and config-file key, and how to read it. */
interface Setting<T> {
  readonly flag: string;
  readonly env: string;
  readonly file: string;
  readonly parse: (raw: unknown, where: string) => T;
  readonly fallback: () => T;
}

export interface ConfigSources {
  readonly flags?: Readonly<Record<string, string | undefined>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Path of a JSON config file (also taken from the `--config` flag or TRIBUTARY_CONFIG). */
  readonly file?: string;
  readonly isTerminal?: boolean;
}

const text = (raw: unknown, where: string): string => {
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new ConfigError(`${where} must be a non-empty string, got ${JSON.stringify(raw)}`);
  return raw.trim();
};

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (raw: unknown, where: string): number => {
    const value =
      typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${where} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };

const oneOf =
  <T extends string>(...choices: T[]) =>
  (raw: unknown, where: string): T => {
    const value = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
    if (!choices.includes(value as T))
      throw new ConfigError(`${where} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
    return value as T;
  };

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

const settings = {
  brokers: {
    flag: 'brokers',
    env: 'KAFKA_BROKERS',
    file: 'brokers',
    parse: brokerList,
    fallback: () => undefined,
  } as Setting<readonly string[] | undefined>,
  clientId: {
    flag: 'client-id',
    env: 'TRIBUTARY_CLIENT_ID',
    file: 'clientId',
    parse: text,
    fallback: () => 'tributary',
  },
  stateDir: {
    flag: 'state-dir',
    env: 'STATE_DIR',
    file: 'stateDir',
    parse: text,
    fallback: () => './data/state',
  },
  processingGuarantee: {
    flag: 'guarantee',
    env: 'PROCESSING_GUARANTEE',
    file: 'processingGuarantee',
    parse: guarantee,
    fallback: () => 'at-least-once' as const,
  },
  commitIntervalMs: {
    flag: 'commit-interval-ms',
    env: 'COMMIT_INTERVAL_MS',
    file: 'commitIntervalMs',
    parse: integer(1),
    fallback: () => -1,
  },
  numStandbyReplicas: {
    flag: 'standby-replicas',
    env: 'NUM_STANDBY_REPLICAS',
    file: 'numStandbyReplicas',
    parse: integer(0, 10),
    fallback: () => 0,
  },
  sessionTimeoutMs: {
    flag: 'session-timeout-ms',
    env: 'SESSION_TIMEOUT_MS',
    file: 'sessionTimeoutMs',
    // The broker refuses values outside group.min/max.session.timeout.ms (6 s and 30 min by default).
    parse: integer(1_000),
    fallback: () => 45_000,
  },
  maxBufferedRecordsPerPartition: {
    flag: 'max-buffered-records',
    env: 'MAX_BUFFERED_RECORDS_PER_PARTITION',
    file: 'maxBufferedRecordsPerPartition',
    parse: integer(1),
    fallback: () => 1000,
  },
  maxTaskIdleMs: {
    flag: 'max-task-idle-ms',
    env: 'MAX_TASK_IDLE_MS',
    file: 'maxTaskIdleMs',
    parse: integer(-1),
    fallback: () => 0,
  },
  deserializationHandler: {
    flag: 'on-deserialization-error',
    env: 'ON_DESERIALIZATION_ERROR',
    file: 'onDeserializationError',
    parse: handler,
    fallback: () => 'fail' as const,
  },
  processingHandler: {
    flag: 'on-processing-error',
    env: 'ON_PROCESSING_ERROR',
    file: 'onProcessingError',
    parse: handler,
    fallback: () => 'fail' as const,
  },
  deadLetterTopic: {
    flag: 'dead-letter-topic',
    env: 'DEAD_LETTER_TOPIC',
    file: 'deadLetterTopic',
    parse: text,
    fallback: () => undefined,
  } as Setting<string | undefined>,
  http: {
    flag: 'http',
    env: 'TRIBUTARY_HTTP',
    file: 'http',
    parse: httpEndpoint,
    fallback: () => undefined,
  } as Setting<{ host: string; port: number } | undefined>,
  advertised: {
    flag: 'advertised',
    env: 'TRIBUTARY_ADVERTISED',
    file: 'advertised',
    parse: text,
    fallback: () => undefined,
  } as Setting<string | undefined>,
  schemaRegistryUrl: {
    flag: 'schema-registry',
    env: 'SCHEMA_REGISTRY_URL',
    file: 'schemaRegistryUrl',
    parse: (raw: unknown, where: string) => {
      const value = text(raw, where);
      if (!/^https?:\/\/[^\s]+$/.test(value))
        throw new ConfigError(`${where} must be an http(s) URL, got ${JSON.stringify(raw)}`);
      return value;
    },
    fallback: () => undefined,
  } as Setting<string | undefined>,
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    file: 'logLevel',
    parse: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'),
    fallback: () => 'info' as const,
  },
  logFormat: {
    flag: 'log-format',
    env: 'LOG_FORMAT',
    file: 'logFormat',
    parse: oneOf('json', 'pretty'),
    fallback: () => undefined,
  } as Setting<'json' | 'pretty' | undefined>,
} satisfies Record<string, Setting<unknown>>;

/**
 * Reads the worker's configuration: flags first, then environment variables, then the JSON config
 * file, then defaults. Every bad value is reported with the setting's name in the place it came from
 * (`--commit-interval-ms`, `COMMIT_INTERVAL_MS`, or `commitIntervalMs in config.json`).
 */
export function loadWorkerConfig(sources: ConfigSources = {}): WorkerConfig {
  const flags = sources.flags ?? {};
  const env = sources.env ?? process.env;
  const filePath = flags.config ?? sources.file ?? env.TRIBUTARY_CONFIG;
  const file = filePath ? readConfigFile(filePath) : {};
  const known = new Set(Object.values(settings).map((s) => s.file));
  for (const key of Object.keys(file)) {
    if (!known.has(key))
      throw new ConfigError(
        `unknown setting "${key}" in ${filePath}; known settings: ${[...known].join(', ')}`,
      );
  }

  const read = <T>(setting: Setting<T>): T => {
    if (flags[setting.flag] !== undefined) return setting.parse(flags[setting.flag], `--${setting.flag}`);
    if (env[setting.env] !== undefined && env[setting.env] !== '')
      return setting.parse(env[setting.env], setting.env);
    if (file[setting.file] !== undefined)
      return setting.parse(file[setting.file], `${setting.file} in ${filePath}`);
    return setting.fallback();
  };

  const processingGuarantee = read(settings.processingGuarantee);
  const commitIntervalMs = read(settings.commitIntervalMs);
  const http = read(settings.http);
  const advertised = read(settings.advertised);
  return {
    brokers: read(settings.brokers),
    clientId: read(settings.clientId),
    stateDir: read(settings.stateDir),
    processingGuarantee,
    // Kafka Streams' defaults: 30 s at-least-once, 100 ms exactly-once (results are visible only after a commit).
    commitIntervalMs:
      commitIntervalMs > 0 ? commitIntervalMs : processingGuarantee === 'exactly-once' ? 100 : 30_000,
    numStandbyReplicas: read(settings.numStandbyReplicas),
    sessionTimeoutMs: read(settings.sessionTimeoutMs),
    maxBufferedRecordsPerPartition: read(settings.maxBufferedRecordsPerPartition),
    maxTaskIdleMs: read(settings.maxTaskIdleMs),
    errorHandling: {
      deserialization: read(settings.deserializationHandler),
      processing: read(settings.processingHandler),
      deadLetterTopic: read(settings.deadLetterTopic),
    },
    http: http
      ? {
          ...http,
          advertised: advertised ?? `${http.host === '0.0.0.0' ? '127.0.0.1' : http.host}:${http.port}`,
        }
      : undefined,
    schemaRegistryUrl: read(settings.schemaRegistryUrl),
    logLevel: read(settings.logLevel),
    logFormat: read(settings.logFormat) ?? ((sources.isTerminal ?? process.stdout.isTTY) ? 'pretty' : 'json'),
  };
}

function readConfigFile(path: string): Record<string, unknown> {
  let textContent: string;
  try {
    textContent = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read the config file ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    const parsed = JSON.parse(textContent) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('the top level must be an object');
    return parsed as Record<string, unknown>;
  } catch (cause) {
    throw new ConfigError(`the config file ${path} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}
