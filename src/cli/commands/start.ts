import { join, resolve } from 'node:path';
import type { TributaryApp } from '../../app/define-app.ts';
import { EmbeddedLog } from '../../embedded/embedded-log.ts';
import { embeddedEventLog } from '../../embedded/event-log.ts';
import { ConfigError, TributaryError } from '../../errors.ts';
import { requiresCredentials } from '../../http/access.ts';
import { kafkaEventLog } from '../../kafka/event-log.ts';
import type { EventLogPort, NewTopic } from '../../kafka/port.ts';
import type { Logger } from '../../common/logger.ts';
import { createLogger } from '../../runtime/logging.ts';
import { loadWorkerConfig, type WorkerConfig } from '../../runtime/worker/config.ts';
import { helpTable, settingFlags, settingHelpRows, type HelpRow } from '../../runtime/worker/settings.ts';
import { runUntilStopped } from '../../worker/run-until-stopped.ts';
import { Worker } from '../../worker/worker.ts';
import {
  ExitCode,
  UsageError,
  defineCommand,
  parseCommandArgs,
  stringOptions,
  stringValues,
} from '../command.ts';
import {
  TOPOLOGIES_DIRECTORY,
  loadProjectApps,
  topicsRead,
  topicsWritten,
  workerApplication,
} from '../load.ts';

const DEFAULT_PORT = 8080;
/** Only this machine reaches the HTTP API unless HOST says otherwise: it has no authentication. */
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PARTITIONS = 3;

/** `start`'s own options, beside every worker setting (which `tributary run` takes too). */
const START_OPTIONS: readonly HelpRow[] = [
  {
    flag: 'port',
    env: 'PORT',
    help: { value: '<n>', meaning: 'HTTP port (or --http host:port)', default: String(DEFAULT_PORT) },
  },
  {
    flag: 'host',
    env: 'HOST',
    help: {
      value: '<address>',
      meaning: 'HTTP listen address (0.0.0.0: every interface)',
      default: DEFAULT_HOST,
    },
  },
  {
    flag: 'data-dir',
    env: 'DATA_DIR',
    help: { value: '<dir>', meaning: 'the embedded log and the stores', default: './data' },
  },
  {
    flag: 'partitions',
    env: 'TOPIC_PARTITIONS',
    help: {
      value: '<n>',
      meaning: 'partitions of topics start creates',
      default: String(DEFAULT_PARTITIONS),
    },
  },
];

/**
 * The guarantee `start` runs with on the embedded log unless told otherwise. Exactly-once: the embedded
 * log has transactions too, and in one process they cost little (about half a second more from order
 * to confirmation at 100 orders/s, for the 100 ms commits, and the same CPU); no record is then
 * repeated after a crash. On Kafka, `start` keeps Kafka Streams' default, at-least-once, as `run` and
 * `acls` do: exactly-once there needs a broker that allows transactions and transactional-id ACLs.
 */
const EMBEDDED_GUARANTEE = 'exactly-once';

/**
 * Where `start` puts what `run` needs told: no brokers means the embedded log, stores go beside it,
 * HTTP is on, for this machine only unless HOST (or --http) says otherwise.
 */
const START_DEFAULTS = {
  brokers: 'none: the embedded log',
  'state-dir': '<data-dir>/state',
  http: '<host>:<port>',
  guarantee: `${EMBEDDED_GUARANTEE} on the embedded log, at-least-once on Kafka`,
  threads: '1 (more: tributary run)',
};

export default defineCommand({
  name: 'start',
  summary: 'run every topology in one process, on Kafka or on an embedded log, with the HTTP API',
  usage: `Usage: tributary start [topology files...] [options]

Runs every topology in ./${TOPOLOGIES_DIRECTORY}/ (or the files given) in one process, with the HTTP endpoint
(interactive queries and the applications' routes). Made for trying things out and for development:

- Without KAFKA_BROKERS it runs on an embedded event log kept under DATA_DIR (./data): topics,
  offsets and stores survive a restart. It is not Kafka: one process, no replication, records are
  kept forever, and other Kafka clients cannot connect to it.
- With KAFKA_BROKERS it runs on Kafka, and creates the topics the topologies read and write that do
  not exist yet.

${helpTable([...START_OPTIONS, ...settingHelpRows(START_DEFAULTS)])}

SIGTERM or SIGINT (Ctrl-C) stops it gracefully. Exit codes: 0 stopped on request, 2 a failure.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      stringOptions([...START_OPTIONS.map((o) => o.flag), ...settingFlags()]),
    );
    const flags = stringValues(values);
    const env = process.env;
    const dataDir = resolve(io.cwd, flags['data-dir'] ?? (env.DATA_DIR || 'data'));
    const port = wholeNumber(flags.port ?? env.PORT, flags.port ? '--port' : 'PORT', DEFAULT_PORT, 65535);
    const host = listenHost(flags.host ?? env.HOST, flags.host ? '--host' : 'HOST');
    const partitions = wholeNumber(
      flags.partitions ?? env.TOPIC_PARTITIONS,
      flags.partitions ? '--partitions' : 'TOPIC_PARTITIONS',
      DEFAULT_PARTITIONS,
      10_000,
    );
    let config: WorkerConfig;
    try {
      const sources = {
        flags: {
          ...flags,
          // Stores go beside the embedded log, and the HTTP endpoint on HOST:PORT, unless said otherwise.
          'state-dir': flags['state-dir'] ?? (env.STATE_DIR ? undefined : join(dataDir, 'state')),
          http: flags.http ?? (env.TRIBUTARY_HTTP ? undefined : `${host}:${port}`),
        },
      };
      config = loadWorkerConfig(sources);
      if (!config.brokers)
        config = loadWorkerConfig({ ...sources, defaults: { guarantee: EMBEDDED_GUARANTEE } });
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message);
      throw error;
    }

    if (config.numStreamThreads > 1)
      throw new UsageError(
        'start runs one stream thread; for several, run the topologies on Kafka with `tributary run --threads`',
      );
    const apps = await loadProjectApps(positionals, io);
    const logger = createLogger({ level: config.logLevel, format: config.logFormat });
    const log: LogChoice = config.brokers
      ? { brokers: config.brokers }
      : { embedded: EmbeddedLog.open(join(dataDir, 'log'), { logger }) };
    const { embedded } = log;
    try {
      const eventLog = log.embedded
        ? embeddedEventLog(log.embedded)
        : kafkaEventLog({
            brokers: log.brokers,
            clientId: config.clientId,
            client: config.kafkaClient,
            security: config.kafkaSecurity,
            logger,
          });
      if (embedded)
        logger.warn(
          { directory: embedded.directory },
          `running on the embedded event log in ${embedded.directory}. It is NOT Kafka: one process, no replication, records kept forever, no other clients. To run on Kafka: KAFKA_BROKERS=<host:port> npm start`,
        );
      const topics = topicsToCreate(apps, partitions);
      await createMissingTopics(eventLog, topics, logger);
      const worker = new Worker(apps.map(workerApplication), config, eventLog, logger);
      const stopped = await runUntilStopped(worker, logger, async () => {
        await untilRunning(worker, logger);
        io.stdout.write(await banner(worker, apps, config, log));
      });
      return stopped ? ExitCode.ok : ExitCode.error;
    } finally {
      embedded?.close();
    }
  },
});

/** The event log `start` runs on: Kafka when brokers are configured, else the embedded log it opened. */
type LogChoice =
  | { readonly brokers: readonly string[]; readonly embedded?: undefined }
  | { readonly embedded: EmbeddedLog; readonly brokers?: undefined };

function listenHost(raw: string | undefined, where: string): string {
  if (raw === undefined || raw === '') return DEFAULT_HOST;
  if (!/^[A-Za-z0-9.-]+$/.test(raw))
    throw new UsageError(
      `${where} must be an IPv4 address or a host name to listen on (0.0.0.0 for every interface), got ${JSON.stringify(raw)}`,
    );
  return raw;
}

function wholeNumber(raw: string | undefined, where: string, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new UsageError(`${where} must be a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

/** Every topic the applications read or write that is not internal to one of them. */
function topicsToCreate(apps: readonly TributaryApp[], partitions: number): NewTopic[] {
  const names = new Set([
    ...topicsRead(apps),
    ...topicsWritten(apps),
    ...apps.flatMap((app) => app.topics.map((topic) => topic.name)),
  ]);
  return [...names].sort().map((topic) => ({ topic, partitions, config: {} }));
}

async function createMissingTopics(
  port: EventLogPort,
  topics: readonly NewTopic[],
  logger: Logger,
): Promise<void> {
  const admin = port.admin();
  try {
    const existing = await admin.partitionCounts(topics.map((t) => t.topic));
    const missing = topics.filter((t) => !existing.has(t.topic));
    const [first] = missing;
    if (first === undefined) return;
    await admin.createTopics(missing);
    logger.info(
      { topics: missing.map((t) => t.topic), partitions: first.partitions },
      'created the topics the applications need',
    );
  } finally {
    await admin.close();
  }
}

/** How long the banner waits for every application to have its tasks (a first try should find them). */
const READY_WAIT_MS = 60_000;

async function untilRunning(worker: Worker, logger: Logger): Promise<void> {
  const deadline = Date.now() + READY_WAIT_MS;
  while (worker.runners.some((r) => r.state === 'starting' || r.state === 'rebalancing')) {
    if (Date.now() > deadline) {
      const waiting = worker.runners.filter((r) => r.state !== 'running').map((r) => r.applicationId);
      logger.warn({ applications: waiting }, 'still waiting for tasks; serving anyway');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What a newcomer needs once everything runs: where it is, and something to try. */
async function banner(
  worker: Worker,
  apps: readonly TributaryApp[],
  config: WorkerConfig,
  log: LogChoice,
): Promise<string> {
  const { queries } = worker;
  if (!queries)
    throw new TributaryError('TRIB_INTERNAL', 'start always serves HTTP, yet the worker has no HTTP server');
  const url = queries.url.replace(/\/\/(0\.0\.0\.0|127\.0\.0\.1):/, '//localhost:');
  const routes = queries.routes();
  const lines = [
    '',
    `Tributary is running ${apps.length} application${apps.length === 1 ? '' : 's'}: ${apps.map((a) => a.applicationId).join(', ')}`,
    log.embedded
      ? `  event log: embedded, in ${log.embedded.directory} (not Kafka; to use Kafka: KAFKA_BROKERS=<host:port> npm start)`
      : `  event log: Kafka at ${log.brokers.join(',')}`,
    `  guarantee: ${config.processingGuarantee}`,
    `  HTTP:      ${url}`,
    `  console:   ${url}/ (in a browser)`,
    ...tryLines(url, routes).map((line, i) => `  ${i === 0 ? 'try:' : '    '}       ${line}`),
    ...(requiresCredentials(config.httpSecurity.access)
      ? ["           (the endpoint asks for credentials: add -H 'authorization: Bearer <token>')"]
      : []),
    '',
    '',
  ];
  return lines.join('\n');
}

function tryLines(url: string, routes: readonly string[]): string[] {
  if (!routes.includes('POST /v1/orders')) return [`curl -s ${url}/stores`];
  const json = "-H 'content-type: application/json'";
  return [
    `curl -s -X PUT ${url}/v1/inventory/JUMPERS ${json} -d '{"quantity":10}'`,
    `curl -si -X POST ${url}/v1/orders ${json} -d '{"id":"o-1","customerId":1,"product":"JUMPERS","quantity":1,"price":10}'`,
    `curl -s '${url}/v1/orders/o-1/validated?timeout=5000'`,
    '(docs/getting-started.md goes on from there: payment, CONFIRMED, the email)',
  ];
}
