import { ConfigError } from '../../errors.ts';
import { kafkaEventLog } from '../../kafka/event-log.ts';
import { createLogger } from '../../runtime/logging.ts';
import { loadWorkerConfig } from '../../runtime/worker/config.ts';
import { helpTable, settingFlags, settingHelpRows } from '../../runtime/worker/settings.ts';
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
import { loadApp, workerApplication } from '../load.ts';
import { streamThreads } from '../threads/stream-threads.ts';

export default defineCommand({
  name: 'run',
  summary: 'run topologies as long-running workers on Kafka',
  usage: `Usage: tributary run <topology files...> [options]

Runs each application (one topology file each) as a member of its consumer group on Kafka. One process
can host several applications; start more processes to share the work. SIGTERM or SIGINT stops it
gracefully: in-flight records are finished, offsets committed, stores flushed and closed, groups left.

Settings come from flags, then environment variables, then a JSON config file (--config or
TRIBUTARY_CONFIG; keys in camelCase, e.g. "commitIntervalMs"), then defaults:

${helpTable(settingHelpRows())}

With --http, the worker serves interactive queries of its applications' stores (any worker answers any
key: GET /stores, /stores/<store>/keys/<key>, /stores/<store>?from=&to=, /stores/<store>/changes,
/metadata, /metrics, /health, /health/ready; see docs/queries.md), the applications' own routes, and
the web console at / (docs/console.md).

Exit codes: 0 stopped on request, 2 bad settings or a fatal error (the log says which).
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, stringOptions(settingFlags()));
    if (positionals.length === 0) throw new UsageError('name at least one topology file');
    let config;
    try {
      config = loadWorkerConfig({ flags: stringValues(values) });
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
    if (config.numStreamThreads > 1) {
      const threads = streamThreads(
        config,
        logger,
        {
          flags: stringValues(values),
          files: positionals,
          cwd: io.cwd,
        },
        apps.map((app) => app.applicationId),
      );
      return (await runUntilStopped(threads, logger)) ? ExitCode.ok : ExitCode.error;
    }
    const port = kafkaEventLog({
      brokers: config.brokers,
      clientId: config.clientId,
      client: config.kafkaClient,
      security: config.kafkaSecurity,
      logger,
    });
    const worker = new Worker(apps.map(workerApplication), config, port, logger);
    return (await runUntilStopped(worker, logger)) ? ExitCode.ok : ExitCode.error;
  },
});
