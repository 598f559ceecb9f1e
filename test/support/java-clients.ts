/**
 * Kafka's own Java clients as an oracle for transactions (scripts/kafka/TransactionOracle.java, run by
 * scripts/kafka/java-client.sh with the broker's jars): a writer that runs a script of transactional
 * and idempotent producers one command at a time, and a read_committed consumer.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const javaClient = fileURLToPath(new URL('../../scripts/kafka/java-client.sh', import.meta.url));

/** A record as the Java read_committed consumer returned it. */
export interface OracleRecord {
  readonly offset: bigint;
  readonly key: string;
  readonly valueLength: number;
}

/** What Kafka's Java consumer reads with isolation.level=read_committed from an offset to the end. */
export async function javaReadCommitted(
  brokers: string,
  topic: string,
  partition: number,
  from: bigint,
): Promise<{ records: OracleRecord[]; end: bigint }> {
  const { stdout } = await run(
    'bash',
    [javaClient, 'TransactionOracle', 'read', brokers, topic, String(partition), String(from)],
    { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
  );
  const records: OracleRecord[] = [];
  let end: bigint | undefined;
  for (const line of stdout.split('\n')) {
    const [what, ...fields] = line.trim().split(' ');
    if (what === 'record') {
      records.push({ offset: BigInt(fields[0]!), key: fields[1]!, valueLength: Number(fields[2]) });
    } else if (what === 'end') end = BigInt(fields[0]!);
  }
  if (end === undefined) throw new Error(`the Java consumer did not report its end offset:\n${stdout}`);
  return { records, end };
}

/** A transactional id as the cluster's transaction coordinators know it. */
export interface JavaTransaction {
  readonly transactionalId: string;
  readonly state: string;
  /** The transaction timeout its producer registered (InitProducerId's `transaction.timeout.ms`). */
  readonly timeoutMs: number;
}

/** Every transactional id the transaction coordinators know (Kafka's Admin.listTransactions and describeTransactions). */
export async function javaTransactions(brokers: string): Promise<JavaTransaction[]> {
  const { stdout } = await run('bash', [javaClient, 'TransactionLister', brokers], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 120_000,
  });
  const transactions = stdout
    .split('\n')
    .filter((line) => line.startsWith('transaction '))
    .map((line) => {
      const [, transactionalId, state, timeoutMs] = line.split(' ');
      return { transactionalId: transactionalId!, state: state!, timeoutMs: Number(timeoutMs) };
    });
  if (!/^end \d+$/m.test(stdout)) throw new Error(`the Java admin did not finish listing:\n${stdout}`);
  return transactions;
}

/**
 * Kafka's Java producers driven by a script, one command at a time (the commands of
 * TransactionOracle.java: `transactional A`, `begin A`, `send A key bytes`, `batch A key n bytes`,
 * `commit A`, `abort A`, `idempotent P`), so their records interleave exactly as written.
 */
export class JavaTransactionWriter {
  /** The offset each sent record got, by key. */
  readonly offsets = new Map<string, bigint>();
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { command: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  private stderr = '';
  private exited: Error | undefined;

  constructor(brokers: string, topic: string, partition: number, transactionalIdPrefix: string) {
    this.child = spawn('bash', [
      javaClient,
      'TransactionOracle',
      'write',
      brokers,
      topic,
      String(partition),
      transactionalIdPrefix,
    ]);
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.onLine(line));
    this.child.on('exit', (code) => {
      this.exited = new Error(`the Java writer exited (${code}):\n${this.stderr}`);
      for (const w of this.waiting.splice(0)) w.reject(this.exited);
    });
  }

  /** Runs the commands in order; resolves when the last one is done. */
  async run(commands: readonly string[]): Promise<void> {
    for (const command of commands) {
      if (this.exited) throw this.exited;
      const done = new Promise<void>((resolve, reject) => this.waiting.push({ command, resolve, reject }));
      this.child.stdin.write(`${command}\n`);
      await done;
    }
  }

  /** Closes the producers and waits for the process to end. */
  async close(): Promise<void> {
    if (this.exited) return;
    const ended = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await ended;
    clearTimeout(timer);
  }

  private onLine(line: string): void {
    const [what, ...fields] = line.trim().split(' ');
    if (what === 'sent') this.offsets.set(fields[0]!, BigInt(fields[1]!));
    else if (what === 'done') {
      const next = this.waiting.shift();
      const command = fields.join(' ');
      if (next?.command.trim() !== command) {
        next?.reject(new Error(`the Java writer finished "${command}" while "${next.command}" was expected`));
      } else next.resolve();
    }
  }
}
