/**
 * The other stream threads of this worker process (`tributary run --threads N`). All threads of a
 * process advertise the process's one endpoint, so the group's assignment says only that a task is
 * "here"; which thread runs it, each thread learns from the others through the process's main thread.
 * A thread serves queries on a loopback port of its own, behind the process's endpoint, and reads a
 * task another thread runs by forwarding the request there, as it would to another worker.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Siblings {
  /** This thread's name (`StreamThread-<n>`). */
  readonly thread: string;
  /** The loopback endpoint of the other thread of this process that runs the task as active, if one does. */
  activeOwner(applicationId: string, taskId: string): string | undefined;
  /** The loopback endpoints of the other threads. */
  endpoints(): readonly string[];
}

/**
 * Whether the request being answered came from a sibling thread. Such a request is answered here or
 * not at all: with the threads' views of each other briefly out of date, two threads must not pass
 * a request back and forth. Set by the query server around each request (asynchronous context, so
 * the routing does not need the request passed down to it).
 */
export const fromSibling = new AsyncLocalStorage<boolean>();
