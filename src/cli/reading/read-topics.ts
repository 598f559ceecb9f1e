/**
 * One reading session of `record` or `tail`: open the event log, plan the range, read it in order,
 * decode each record, and stop cleanly on SIGINT/SIGTERM with everything read handed over.
 */
import type { LogRecord } from '../../kafka/port.ts';
import type { DecodedRecord } from '../../testing/recorded-bytes.ts';
import type { CliIo } from '../command.ts';
import { describeDecodeFailures, type TopicDecoder } from './decoding.ts';
import { openEventLog } from './event-log.ts';
import type { Connection } from './options.ts';
import { planRange, type ReadRange } from './range.ts';
import { TopicReader, type PartitionPlan } from './topic-reader.ts';

export interface ReadTopicsOptions {
  readonly connection: Connection;
  readonly topics: readonly string[];
  readonly range: ReadRange;
  readonly decoder: TopicDecoder;
  readonly clientId: string;
  readonly io: CliIo;
  onRecord(decoded: DecodedRecord, record: LogRecord): void | Promise<void>;
  onCaughtUp?(): void | Promise<void>;
  /** Called once the plan is known and reading begins. */
  onStart?(plan: readonly PartitionPlan[], source: string): void;
}

export interface ReadTopicsResult {
  readonly records: number;
  /** Records with a key or value their serde could not read (kept as raw bytes). */
  readonly undecodable: number;
  readonly stopped: boolean;
}

export async function readTopics(options: ReadTopicsOptions): Promise<ReadTopicsResult> {
  const { connection, decoder, io } = options;
  const log = openEventLog({ ...connection, clientId: options.clientId });
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let stopWatching: (() => void) | undefined;
  try {
    const admin = log.port.admin();
    let plan: PartitionPlan[];
    try {
      plan = await planRange(admin, options.topics, options.range);
    } finally {
      await admin.close();
    }
    options.onStart?.(plan, log.description);
    if (options.range.stop.kind === 'never') stopWatching = log.watch();
    let undecodable = 0;
    const reader = new TopicReader(log.port, {
      readCommitted: connection.readCommitted,
      clientId: options.clientId,
    });
    const summary = await reader.read(
      plan,
      {
        onRecord: async (record) => {
          const decoded = await decoder.decode(record);
          if (decoded.failures.length > 0) {
            undecodable++;
            for (const line of describeDecodeFailures(record, decoded)) io.stderr.write(`warning: ${line}\n`);
          }
          await options.onRecord(decoded, record);
        },
        onCaughtUp: options.onCaughtUp,
      },
      stopping.signal,
    );
    return { records: summary.records, undecodable, stopped: summary.stopped };
  } finally {
    stopWatching?.();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    log.close();
  }
}
