/**
 * The code a stream thread runs (a Node.js worker thread started by `StreamThreads`): it loads the
 * topology files and runs a `Worker` of its own — every application a member of its group, with its
 * own Kafka clients, tasks and state directory — until the main thread asks it to stop or one of its
 * applications fails for good. Kafka clients and LevelDB handles never leave the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TributaryError, errorMessage } from '../../errors.ts';
import { kafkaEventLog } from '../../kafka/event-log.ts';
import { withBindings } from '../../common/logger.ts';
import { createLogger } from '../../runtime/logging.ts';
import { loadWorkerConfig } from '../../runtime/worker/config.ts';
import { Worker } from '../../worker/worker.ts';
import { loadApp, workerApplication } from '../load.ts';
import { streamThreadData, type FromStreamThread, type ToStreamThread } from './messages.ts';
import { SiblingDirectory } from './sibling-directory.ts';
import { threadConfig, threadName } from './thread-config.ts';

const data = streamThreadData(workerData);
if (!parentPort) throw new TributaryError('TRIB_INTERNAL', 'stream-thread.ts runs only as a worker thread');
const port = parentPort;
const tell = (message: FromStreamThread) => port.postMessage(message);

const config = threadConfig(loadWorkerConfig({ flags: data.flags }), data.n);
const name = threadName(data.n);
const logger = withBindings(createLogger({ level: config.logLevel, format: config.logFormat }), {
  thread: name,
});
const siblings = new SiblingDirectory(name);
try {
  const apps = [];
  for (const file of data.files) apps.push(workerApplication(await loadApp(file, data.cwd)));
  const worker = new Worker(
    apps,
    config,
    kafkaEventLog({
      brokers: configuredBrokers(config.brokers),
      clientId: config.clientId,
      client: config.kafkaClient,
      security: config.kafkaSecurity,
      logger,
    }),
    logger,
    { siblings: config.http && siblings },
  );
  port.on('message', (message: ToStreamThread) => {
    if (message.type === 'stop') void worker.stop();
    else siblings.update(message.threads);
  });
  // The other threads route queries for this thread's tasks here: they hear of every change.
  const reportTasks = () => {
    const listening = worker.queries?.listeningPort;
    if (listening === undefined) return;
    const active = Object.fromEntries(
      worker.runners.map((r) => [r.applicationId, [...r.activeTasks.keys()]]),
    );
    tell({ type: 'tasks', thread: name, endpoint: `127.0.0.1:${listening}`, active });
  };
  for (const runner of worker.runners) runner.onAssignment(reportTasks);
  try {
    await worker.start();
    reportTasks();
    tell({ type: 'started' });
    await worker.run();
    tell({ type: 'stopped' });
  } catch (error) {
    await worker.stop();
    throw error;
  }
} catch (error) {
  logger.error({ err: error }, `stream thread failed: ${errorMessage(error)}`);
  tell({ type: 'failed', error: errorMessage(error) });
}
// Let the thread end: the main thread ends it anyway if a client library still holds a timer.
port.close();

/** `run` starts stream threads only once it has checked that brokers are configured. */
function configuredBrokers(brokers: readonly string[] | undefined): readonly string[] {
  if (!brokers)
    throw new TributaryError('TRIB_INTERNAL', 'a stream thread was started without Kafka brokers');
  return brokers;
}
