/**
 * A model of one Kafka partition written by several producers, transactional and not, with what a
 * read_committed consumer must see: random logs, compaction, and fetches as the broker answers them
 * (whole record batches up to the last stable offset, cut anywhere, with the aborted transactions that
 * overlap the fetched range in no particular order).
 */
import type { AbortedTransaction } from '../../src/kafka/aborted-filter.ts';

import type { Random } from '../support/random.ts';

const below = (rnd: Random, n: number) => Math.floor(rnd() * n);

export interface LogRecordEntry {
  readonly offset: bigint;
  readonly key: string;
  /** The truth: data a read_committed consumer delivers (never true for a marker). */
  readonly committed: boolean;
}

export interface LogBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  /** -1 for a producer without an id (neither idempotent nor transactional). */
  readonly producerId: bigint;
  readonly transactional: boolean;
  readonly control: 'abort' | 'commit' | null;
  readonly records: readonly LogRecordEntry[];
}

export interface LoggedAbort extends AbortedTransaction {
  /** The abort marker's offset (the broker's transaction index keeps it as the last offset). */
  readonly lastOffset: bigint;
}

export interface TransactionLog {
  readonly batches: readonly LogBatch[];
  /** Every aborted transaction, in the order their markers were written. */
  readonly aborted: readonly LoggedAbort[];
  /** The first offset of the earliest open transaction, else the log end: read_committed reads below it. */
  readonly lastStableOffset: bigint;
  readonly endOffset: bigint;
}

interface Producer {
  readonly id: bigint;
  readonly kind: 'transactional' | 'idempotent' | 'plain';
  open: { firstOffset: bigint; records: { offset: bigint; key: string }[] } | undefined;
  written: number;
}

/**
 * A random log: 1–5 producers (mostly transactional) take turns writing batches of 1–3 records,
 * committing and aborting; transactions still open at the end hold the last stable offset back.
 */
export function generateLog(rnd: Random): TransactionLog {
  const producers: Producer[] = Array.from({ length: 1 + below(rnd, 5) }, (_, i) => {
    const roll = rnd();
    const kind = roll < 0.7 ? 'transactional' : roll < 0.85 ? 'idempotent' : 'plain';
    return { id: kind === 'plain' ? -1n : BigInt(1000 + i), kind, open: undefined, written: 0 };
  });
  const batches: LogBatch[] = [];
  const aborted: LoggedAbort[] = [];
  const committedKeys = new Set<string>();
  let next = 0n;
  const plan: { batch: Omit<LogBatch, 'records'>; records: { offset: bigint; key: string }[] }[] = [];

  const writeData = (p: Producer) => {
    const count = 1 + below(rnd, 3);
    const records = Array.from({ length: count }, (_, i) => ({
      offset: next + BigInt(i),
      key: `p${p.id}-${p.written++}`,
    }));
    const transactional = p.kind === 'transactional';
    plan.push({
      batch: {
        baseOffset: next,
        lastOffset: next + BigInt(count - 1),
        producerId: p.id,
        transactional,
        control: null,
      },
      records,
    });
    if (transactional) {
      p.open ??= { firstOffset: next, records: [] };
      p.open.records.push(...records);
    } else for (const r of records) committedKeys.add(r.key);
    next += BigInt(count);
  };

  const endTransaction = (p: Producer, outcome: 'commit' | 'abort') => {
    const open = p.open!;
    plan.push({
      batch: { baseOffset: next, lastOffset: next, producerId: p.id, transactional: true, control: outcome },
      records: [{ offset: next, key: `marker-${next}` }],
    });
    if (outcome === 'commit') for (const r of open.records) committedKeys.add(r.key);
    else aborted.push({ producerId: p.id, firstOffset: open.firstOffset, lastOffset: next });
    p.open = undefined;
    next += 1n;
  };

  const steps = 3 + below(rnd, 50);
  for (let step = 0; step < steps; step++) {
    const p = producers[below(rnd, producers.length)]!;
    if (p.open && rnd() < 0.3) endTransaction(p, rnd() < 0.5 ? 'commit' : 'abort');
    else writeData(p);
  }
  // Most transactions end; those left open hold the last stable offset back.
  for (const p of producers) if (p.open && rnd() < 0.7) endTransaction(p, rnd() < 0.5 ? 'commit' : 'abort');

  const openFirsts = producers.flatMap((p) => (p.open ? [p.open.firstOffset] : []));
  const lastStableOffset = openFirsts.reduce((min, o) => (o < min ? o : min), next);
  for (const { batch, records } of plan) {
    batches.push({
      ...batch,
      records: records.map((r) => ({
        ...r,
        committed: batch.control === null && committedKeys.has(r.key),
      })),
    });
  }
  return { batches, aborted, lastStableOffset, endOffset: next };
}

/**
 * The log after the cleaner ran below the last stable offset: data records removed at random (older
 * versions of keys, aborted data); a batch left empty is dropped or kept with its header; some batches
 * keep their last offset past their last record. A transaction all of whose data is gone may lose its
 * marker too, and an aborted one then its entry in the transaction index.
 */
export function compact(log: TransactionLog, rnd: Random): TransactionLog {
  const removal = rnd() * 0.6;
  const batches: LogBatch[] = [];
  const droppedAborts = new Set<bigint>(); // marker offsets
  const dataLeft = new Map<bigint, number>(); // per producer: data its current transaction still has
  for (const batch of log.batches) {
    const cleanable = batch.baseOffset < log.lastStableOffset;
    if (batch.control !== null) {
      const left = dataLeft.get(batch.producerId) ?? 0;
      dataLeft.delete(batch.producerId);
      if (cleanable && left === 0 && rnd() < 0.5) {
        if (batch.control === 'abort') droppedAborts.add(batch.baseOffset);
      } else batches.push(batch);
      continue;
    }
    const records = cleanable ? batch.records.filter(() => rnd() >= removal) : batch.records;
    if (batch.transactional)
      dataLeft.set(batch.producerId, (dataLeft.get(batch.producerId) ?? 0) + records.length);
    if (records.length === 0 && rnd() < 0.5) continue;
    const lastOffset =
      records.length > 0 && records.length < batch.records.length && rnd() < 0.5
        ? records[records.length - 1]!.offset
        : batch.lastOffset;
    batches.push({ ...batch, records, lastOffset });
  }
  return { ...log, batches, aborted: log.aborted.filter((a) => !droppedAborts.has(a.lastOffset)) };
}

/** One partition's answer to a read_committed fetch. */
export interface ModelFetch {
  readonly fetchOffset: bigint;
  readonly batches: readonly LogBatch[];
  readonly aborted: readonly AbortedTransaction[];
}

/**
 * What the broker returns for a read_committed fetch at `fetchOffset`: whole batches from the one
 * holding that offset, below the last stable offset, at most `maxBatches` of them; and the aborted
 * transactions whose marker is at or after the fetch offset and whose first offset is below the end of
 * the fetched data, shuffled, sometimes with harmless extra entries that begin past the fetched data.
 */
export function fetch(log: TransactionLog, fetchOffset: bigint, maxBatches: number, rnd: Random): ModelFetch {
  const batches = log.batches
    .filter((b) => b.lastOffset >= fetchOffset && b.baseOffset < log.lastStableOffset)
    .slice(0, maxBatches);
  const upperBound = batches.length > 0 ? batches[batches.length - 1]!.lastOffset + 1n : fetchOffset;
  const aborted = log.aborted.filter(
    (a) => a.lastOffset >= fetchOffset && (a.firstOffset < upperBound || rnd() < 0.3),
  );
  return { fetchOffset, batches, aborted: shuffle(aborted, rnd) };
}

function shuffle<T>(items: readonly T[], rnd: Random): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = below(rnd, i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

/** The committed records a read_committed consumer starting at `from` must deliver, in order. */
export function committedFrom(log: TransactionLog, from: bigint): string[] {
  return log.batches.flatMap((b) =>
    b.records
      .filter((r) => r.committed && r.offset >= from && r.offset < log.lastStableOffset)
      .map((r) => r.key),
  );
}

/**
 * Consumes the log from `from` to the last stable offset with fetches cut at random, as a consumer
 * does: `deliver` turns one fetch into the records it hands on and the next offset to fetch from.
 */
export async function consume(
  log: TransactionLog,
  from: bigint,
  rnd: Random,
  deliver: (
    fetched: ModelFetch,
  ) => { keys: string[]; nextOffset: bigint } | Promise<{ keys: string[]; nextOffset: bigint }>,
): Promise<string[]> {
  const delivered: string[] = [];
  let position = from;
  while (position < log.lastStableOffset) {
    const fetched = fetch(log, position, 1 + below(rnd, 4), rnd);
    if (fetched.batches.length === 0) break;
    const { keys, nextOffset } = await deliver(fetched);
    if (nextOffset <= position) throw new Error(`no progress consuming from ${from}: stuck at ${position}`);
    delivered.push(...keys);
    position = nextOffset;
  }
  return delivered;
}

/** Offsets worth starting a consumer at: the start, every batch boundary below the stable offset, one inside. */
export function startOffsets(log: TransactionLog, rnd: Random): bigint[] {
  const starts = new Set<bigint>([0n]);
  for (const b of log.batches) if (b.baseOffset < log.lastStableOffset) starts.add(b.baseOffset);
  if (log.lastStableOffset > 0n) starts.add(BigInt(below(rnd, Number(log.lastStableOffset))));
  return [...starts];
}
