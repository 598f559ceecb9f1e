import type { ThreadTasks } from './messages.ts';

/**
 * A thread's view of the other threads of its process, as the main thread last told it: what the
 * thread's query server reads to route a task to the thread running it (`Siblings` in query/siblings.ts).
 */
export class SiblingDirectory {
  readonly thread: string;
  private owners = new Map<string, string>();
  private others: string[] = [];

  constructor(thread: string) {
    this.thread = thread;
  }

  update(threads: readonly ThreadTasks[]): void {
    const owners = new Map<string, string>();
    const others = threads.filter((t) => t.thread !== this.thread);
    for (const other of others)
      for (const [applicationId, tasks] of Object.entries(other.active))
        for (const task of tasks) owners.set(`${applicationId}\u0000${task}`, other.endpoint);
    this.owners = owners;
    this.others = others.map((t) => t.endpoint);
  }

  activeOwner(applicationId: string, taskId: string): string | undefined {
    return this.owners.get(`${applicationId}\u0000${taskId}`);
  }

  endpoints(): readonly string[] {
    return this.others;
  }
}
