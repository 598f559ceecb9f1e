/**
 * What each stream thread of a worker process runs with: the process's settings, with what must not
 * be shared between threads made its own — the state directory (LevelDB allows one opener per store,
 * and a task's stores belong to the one thread running it), a share of the read-cache budget (each
 * thread has its own stores and caches), and Kafka client ids that say which thread (Kafka Streams'
 * `<client.id>-StreamThread-<n>`).
 */
import { join } from 'node:path';
import type { WorkerConfig } from '../../runtime/worker/config.ts';

/** The name of thread `n` (1-based) in logs, client ids and state directories. */
export function threadName(n: number): string {
  return `StreamThread-${n}`;
}

/**
 * The state directory of thread `n`: thread 1 keeps the process's own (so going from one thread to
 * several keeps its stores), thread n ≥ 2 a directory `stream-thread-<n>` inside it.
 */
export function threadStateDir(stateDir: string, n: number): string {
  return n === 1 ? stateDir : join(stateDir, `stream-thread-${n}`);
}

/**
 * A thread serves queries on a loopback port of its own, behind the process's endpoint, but
 * advertises the process's endpoint to the group: the process is one query host.
 */
export function threadConfig(config: WorkerConfig, n: number): WorkerConfig {
  return {
    ...config,
    http: config.http && { host: '127.0.0.1', port: 0, advertised: config.http.advertised },
    clientId: `${config.clientId}-${threadName(n)}`,
    stateDir: threadStateDir(config.stateDir, n),
    // Both caches are budgets of the process, shared out between its threads as Kafka Streams does.
    readCacheMaxBytes: Math.floor(config.readCacheMaxBytes / config.numStreamThreads),
    recordCacheMaxBytes: Math.floor(config.recordCacheMaxBytes / config.numStreamThreads),
  };
}
