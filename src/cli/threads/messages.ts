/** What a worker process's main thread and its stream threads tell each other. */
import { isJsonObject } from '../../common/json.ts';
import { TributaryError } from '../../errors.ts';
import { stringValues } from '../command.ts';

/** Given to each stream thread when it is started (`workerData`). */
export interface StreamThreadData {
  /** 1-based, as Kafka Streams numbers its stream threads. */
  readonly n: number;
  /** The process's settings as given on the command line; each thread reads them like `run` does. */
  readonly flags: Readonly<Record<string, string | undefined>>;
  /** The topology files, and the directory they are relative to. */
  readonly files: readonly string[];
  readonly cwd: string;
}

/** A stream thread's `workerData`, checked: it crosses the thread boundary untyped. */
export function streamThreadData(value: unknown): StreamThreadData {
  const missing = (what: string) =>
    new TributaryError('TRIB_INTERNAL', `a stream thread was started without ${what}`);
  if (!isJsonObject(value)) throw missing('its data');
  const { n, flags, files, cwd } = value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw missing('its number ("n")');
  if (!isJsonObject(flags)) throw missing('the settings ("flags")');
  if (!Array.isArray(files) || !files.every((file): file is string => typeof file === 'string'))
    throw missing('the topology files ("files")');
  if (typeof cwd !== 'string') throw missing('a directory ("cwd")');
  return { n, flags: stringValues(flags), files, cwd };
}

/** Where a thread serves queries (loopback), and the active tasks it runs by application. */
export interface ThreadTasks {
  readonly thread: string;
  readonly endpoint: string;
  readonly active: Readonly<Record<string, readonly string[]>>;
}

/** Main thread to stream thread. */
export type ToStreamThread =
  | { readonly type: 'stop' }
  /** Every thread's endpoint and tasks (its own included), after any of them changed. */
  | { readonly type: 'siblings'; readonly threads: readonly ThreadTasks[] };

/** Stream thread to main thread. */
export type FromStreamThread =
  /** Its applications have started (joined their groups). */
  | { readonly type: 'started' }
  /** Its query endpoint and active tasks, when they change (after each rebalance). */
  | ({ readonly type: 'tasks' } & ThreadTasks)
  /** It stopped on request: final commits made, stores closed, groups left. */
  | { readonly type: 'stopped' }
  /** An application failed for good; the thread has stopped the rest of its work. */
  | { readonly type: 'failed'; readonly error: string };
