import { readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.ts';
import type { HttpSecurity } from '../../http/security.ts';
import type { KafkaClient, KafkaSecurity } from '../../kafka/connection.ts';
import type { RegistrySecurity } from '../../serde/registry-connection.ts';
import { Secret } from '../../security/secret.ts';
import type { ErrorHandling } from '../error-handling.ts';
import {
  readHttpSecurity,
  readKafkaSecurity,
  readRegistrySecurity,
  type SecretInput,
  type SettingReader,
} from './security-config.ts';
import { CONFIG_FILE, SETTINGS, type ProcessingGuarantee, type Setting } from './settings.ts';

export type { ProcessingGuarantee };

/** Everything a worker is configured with; see `loadWorkerConfig` for where each setting comes from. */
export interface WorkerConfig {
  /** Kafka bootstrap servers; undefined runs on the embedded event log. */
  readonly brokers: readonly string[] | undefined;
  /** The Kafka client library the worker runs on. */
  readonly kafkaClient: KafkaClient;
  /** TLS and SASL for every connection to Kafka. */
  readonly kafkaSecurity: KafkaSecurity;
  readonly clientId: string;
  /** Where stores live: `<stateDir>/<applicationId>/<task>/<store>`. */
  readonly stateDir: string;
  /**
   * The record cache of each application (Kafka Streams' `statestore.cache.max.bytes`), in bytes:
   * what its caching stores may hold between commits; 0 turns caching off.
   */
  readonly recordCacheMaxBytes: number;
  /** What the LevelDB read caches of all stores in the process may hold together, in bytes. */
  readonly readCacheMaxBytes: number;
  readonly processingGuarantee: ProcessingGuarantee;
  readonly commitIntervalMs: number;
  readonly numStandbyReplicas: number;
  /**
   * Stream threads in the process (Kafka Streams' `num.stream.threads`): each runs every application as
   * a member of its group, with its own tasks, Kafka clients and state directory.
   */
  readonly numStreamThreads: number;
  /**
   * How long the group waits for a silent member before moving its tasks elsewhere. A worker that
   * crashes (SIGKILL, lost machine) keeps its tasks this long; a clean stop leaves the group at once.
   */
  readonly sessionTimeoutMs: number;
  /**
   * How long a worker retries what Kafka refuses for a while (a broker restarting, a coordinator
   * moving) before it gives up and the application fails: Kafka Streams' `task.timeout.ms`.
   */
  readonly taskTimeoutMs: number;
  /** Fetched records buffered per partition before the partition is paused (back-pressure). */
  readonly maxBufferedRecordsPerPartition: number;
  /**
   * The most record bytes a fetch asks for per partition (Kafka's `max.partition.fetch.bytes`): a
   * fetch is decoded whole, so this bounds what it holds in memory beyond the buffered records.
   */
  readonly maxPartitionFetchBytes: number;
  readonly maxTaskIdleMs: number;
  readonly errorHandling: ErrorHandling;
  /** The worker's query endpoint `host:port`, if it serves queries, and the address others reach it at. */
  readonly http: { readonly host: string; readonly port: number; readonly advertised: string } | undefined;
  /** HTTPS and who may call the endpoint (tokens, client certificates, scopes). */
  readonly httpSecurity: HttpSecurity;
  /** A Confluent-compatible schema registry: Avro topics then use its wire format. */
  readonly schemaRegistryUrl: string | undefined;
  /** The registry's credentials and CA. */
  readonly schemaRegistrySecurity: RegistrySecurity;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** 'json' for production, 'pretty' for a terminal; default: pretty when stdout is a terminal. */
  readonly logFormat: 'json' | 'pretty';
}

export interface ConfigSources {
  readonly flags?: Readonly<Record<string, string | undefined>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Path of a JSON config file (also taken from the `--config` flag or TRIBUTARY_CONFIG). */
  readonly file?: string;
  readonly isTerminal?: boolean;
  /** A command's own defaults by flag name (`start` runs exactly-once), below every other source. */
  readonly defaults?: Readonly<Record<string, string>>;
}

/**
 * Reads the worker's configuration: flags first, then environment variables, then the JSON config
 * file, then the command's defaults, then the settings' own. Every bad value is reported with the
 * setting's name in the place it came from (`--commit-interval-ms`, `COMMIT_INTERVAL_MS`, or
 * `commitIntervalMs in config.json`).
 */
export function loadWorkerConfig(sources: ConfigSources = {}): WorkerConfig {
  const flags = sources.flags ?? {};
  const env = sources.env ?? process.env;
  const filePath = flags[CONFIG_FILE.flag] ?? sources.file ?? env[CONFIG_FILE.env];
  const file = filePath ? readConfigFile(filePath) : {};
  const known = new Set(Object.values(SETTINGS).map((s) => s.file));
  for (const key of Object.keys(file)) {
    if (!known.has(key))
      throw new ConfigError(
        `unknown setting "${key}" in ${filePath}; known settings: ${[...known].join(', ')}`,
      );
  }

  // The read cache's setting had a name too close to Kafka Streams' record cache setting.
  if (env.STATE_CACHE_MAX_BYTES !== undefined)
    throw new ConfigError(
      'STATE_CACHE_MAX_BYTES is now READ_CACHE_MAX_BYTES (the LevelDB read cache); the record cache is RECORD_CACHE_MAX_BYTES',
    );
  const read = <T>(setting: Setting<T>): T => {
    if (flags[setting.flag] !== undefined) return setting.parse(flags[setting.flag], `--${setting.flag}`);
    if (env[setting.env] !== undefined && env[setting.env] !== '')
      return setting.parse(env[setting.env], setting.env);
    if (file[setting.file] !== undefined)
      return setting.parse(file[setting.file], `${setting.file} in ${filePath}`);
    const commandDefault = sources.defaults?.[setting.flag];
    if (commandDefault !== undefined)
      return setting.parse(commandDefault, `the default of --${setting.flag}`);
    return setting.fallback();
  };
  // A secret: a file named by the flag, its value in `valueEnv`, or a file named by `env` or the file.
  const secret = (setting: Setting<string | undefined>): SecretInput | undefined => {
    const asFile = (where: string, raw: unknown): SecretInput => ({
      kind: 'file',
      path: setting.parse(raw, where)!,
      where,
    });
    if (flags[setting.flag] !== undefined) return asFile(`--${setting.flag}`, flags[setting.flag]);
    const value = setting.valueEnv ? env[setting.valueEnv] : undefined;
    const fileEnv = env[setting.env];
    if (value && fileEnv) throw new ConfigError(`set ${setting.valueEnv} or ${setting.env}, not both`);
    if (value) return { kind: 'value', secret: new Secret(value, setting.valueEnv!) };
    if (fileEnv) return asFile(setting.env, fileEnv);
    if (file[setting.file] !== undefined) return asFile(`${setting.file} in ${filePath}`, file[setting.file]);
    return undefined;
  };
  const reader: SettingReader = { read, secret };

  const processingGuarantee = read(SETTINGS.processingGuarantee);
  const commitIntervalMs = read(SETTINGS.commitIntervalMs);
  const http = read(SETTINGS.http);
  const advertised = read(SETTINGS.advertised);
  return {
    brokers: read(SETTINGS.brokers),
    kafkaClient: read(SETTINGS.kafkaClient),
    kafkaSecurity: readKafkaSecurity(reader),
    clientId: read(SETTINGS.clientId),
    stateDir: read(SETTINGS.stateDir),
    recordCacheMaxBytes: read(SETTINGS.recordCacheMaxBytes),
    readCacheMaxBytes: read(SETTINGS.readCacheMaxBytes),
    processingGuarantee,
    // Kafka Streams' defaults: 30 s at-least-once, 100 ms exactly-once (results are visible only after a commit).
    commitIntervalMs:
      commitIntervalMs > 0 ? commitIntervalMs : processingGuarantee === 'exactly-once' ? 100 : 30_000,
    numStandbyReplicas: read(SETTINGS.numStandbyReplicas),
    numStreamThreads: read(SETTINGS.numStreamThreads),
    sessionTimeoutMs: read(SETTINGS.sessionTimeoutMs),
    taskTimeoutMs: read(SETTINGS.taskTimeoutMs),
    maxBufferedRecordsPerPartition: read(SETTINGS.maxBufferedRecordsPerPartition),
    maxPartitionFetchBytes: read(SETTINGS.maxPartitionFetchBytes),
    maxTaskIdleMs: read(SETTINGS.maxTaskIdleMs),
    errorHandling: {
      deserialization: read(SETTINGS.deserializationHandler),
      processing: read(SETTINGS.processingHandler),
      production: read(SETTINGS.productionHandler),
      deadLetterTopic: read(SETTINGS.deadLetterTopic),
    },
    http: http
      ? {
          ...http,
          advertised: advertised ?? `${http.host === '0.0.0.0' ? '127.0.0.1' : http.host}:${http.port}`,
        }
      : undefined,
    httpSecurity: readHttpSecurity(reader),
    schemaRegistryUrl: read(SETTINGS.schemaRegistryUrl),
    schemaRegistrySecurity: readRegistrySecurity(reader),
    logLevel: read(SETTINGS.logLevel),
    logFormat: read(SETTINGS.logFormat) ?? ((sources.isTerminal ?? process.stdout.isTTY) ? 'pretty' : 'json'),
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
      throw new ConfigError('the top level must be an object');
    return parsed as Record<string, unknown>;
  } catch (cause) {
    throw new ConfigError(`the config file ${path} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}
