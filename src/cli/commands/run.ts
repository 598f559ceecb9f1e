import { ConfigError } from '../../errors.ts';
import { kafkaEventLog } from '../../kafka/kafkajs/event-log.ts';
import { createLogger } from '../../runtime/logging.ts';
import { loadWorkerConfig } from '../../runtime/worker/config.ts';
import { runUntilStopped } from '../../runtime/worker/run-until-stopped.ts';
import { Worker } from '../../runtime/worker/worker.ts';
import { ExitCode, UsageError, defineCommand, parseCommandArgs } from '../command.ts';
import { loadApp } from '../load.ts';

const settingFlags = [
  'brokers',
  'client-id',
  'state-dir',
  'guarantee',
  'commit-interval-ms',
  'standby-replicas',
  'session-timeout-ms',
  'max-buffered-records',
  'max-task-idle-ms',
  'on-deserialization-error',
  'on-processing-error',
  'dead-letter-topic',
  'http',
  'advertised',
  'schema-registry',
  'log-level',
  'log-format',
  'config',
] as const;

export default defineCommand({
  name: 'run',
  summary: 'run topologies as long-running workers on Kafka',
  usage: `Usage: tributary run <topology files...> [options]

Runs each application (one topology file each) as a member of its consumer group on Kafka. One process
can host several applications; start more processes to share the work. SIGTERM or SIGINT stops it
gracefully: in-flight records are finished, offsets committed, stores flushed and closed, groups left.

Settings come from flags, then environment variables, then a JSON config file (--config or
TRIBUTARY_CONFIG; keys in camelCase, e.g. "commitIntervalMs"), then defaults:

  --brokers <host:port,...>        KAFKA_BROKERS                       Kafka bootstrap servers (required)
  --state-dir <dir>                STATE_DIR                           where stores live (./data/state)
  --guarantee <g>                  PROCESSING_GUARANTEE                at-least-once (default) or exactly-once
  --commit-interval-ms <ms>        COMMIT_INTERVAL_MS                  30000 at-least-once, 100 exactly-once
  --standby-replicas <n>           NUM_STANDBY_REPLICAS                standby copies of each task's stores (0)
  --session-timeout-ms <ms>        SESSION_TIMEOUT_MS                  how long a crashed worker keeps its tasks (45000)
  --max-buffered-records <n>       MAX_BUFFERED_RECORDS_PER_PARTITION  fetched records held per partition (1000)
  --max-task-idle-ms <ms>          MAX_TASK_IDLE_MS                    wait for lagging join inputs (0; -1 never)
  --on-deserialization-error <h>   ON_DESERIALIZATION_ERROR            fail (default), log-and-continue, dead-letter
  --on-processing-error <h>        ON_PROCESSING_ERROR                 fail (default), log-and-continue, dead-letter
  --dead-letter-topic <topic>      DEAD_LETTER_TOPIC                   default <applicationId>-dlq
  --http <host:port>               TRIBUTARY_HTTP                      serve queries and app routes here
  --advertised <host:port>         TRIBUTARY_ADVERTISED                address other workers reach this one at
  --schema-registry <url>          SCHEMA_REGISTRY_URL                 Avro topics in the registry's wire format
  --client-id <id>                 TRIBUTARY_CLIENT_ID                 Kafka client id prefix (tributary)
  --log-level <level>              LOG_LEVEL                           trace, debug, info (default), warn, error
  --log-format <json|pretty>       LOG_FORMAT                          default: pretty in a terminal, else json
  --config <file.json>             TRIBUTARY_CONFIG

With --http, the worker serves interactive queries of its applications' stores (any worker answers any
key: GET /stores, /stores/<store>/keys/<key>, /stores/<store>?from=&to=, /stores/<store>/changes,
/metadata, /metrics, /health, /health/ready; see docs/queries.md) and the applications' own routes.

Exit codes: 0 stopped on request, 2 bad settings or a fatal error (the log says which).
`,
  async run(args, io) {
    const options = Object.fromEntries(settingFlags.map((flag) => [flag, { type: 'string' as const }]));
    const { values, positionals } = parseCommandArgs(args, options);
    if (positionals.length === 0) throw new UsageError('name at least one topology file');
    let config;
    try {
      config = loadWorkerConfig({ flags: values as Record<string, string | undefined> });
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message);
      throw error;
    }
    if (!config.brokers) {
      throw new UsageError(
        'no Kafka brokers: set KAFKA_BROKERS or --brokers host:port (or run `tributary start` for the embedded log)',
      );
    }
    const apps = [];
    for (const file of positionals) apps.push(await loadApp(file, io.cwd));
    const logger = createLogger({ level: config.logLevel, format: config.logFormat });
    const port = kafkaEventLog({ brokers: config.brokers, clientId: config.clientId, logger });
    const worker = new Worker(
      apps.map((app) => ({
        applicationId: app.applicationId,
        topology: app.buildTopology(),
        errorHandling: app.errorHandling,
        http: app.http,
      })),
      config,
      port,
      logger,
    );
    return (await runUntilStopped(worker, logger)) ? ExitCode.ok : ExitCode.error;
  },
});
