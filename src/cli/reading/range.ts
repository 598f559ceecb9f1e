/**
 * Which records of which partitions `record` and `tail` read: where each partition starts (the
 * beginning, an offset, a time, the last few records, or the end) and where it stops (an offset, a
 * time, the end as it was when reading began, or never: until stopped).
 */
import type { AdminPort } from '../../kafka/port.ts';
import { UsageError } from '../command.ts';
import type { PartitionPlan } from './topic-reader.ts';
import type { Offset } from '../../common/offset.ts';

export type StartAt =
  | { readonly kind: 'beginning' }
  | { readonly kind: 'end' }
  | { readonly kind: 'time'; readonly timestamp: number }
  | { readonly kind: 'offset'; readonly offsets: OffsetSpec }
  /** The last `count` records of each partition. */
  | { readonly kind: 'last'; readonly count: number };

export type StopAt =
  | { readonly kind: 'end' }
  | { readonly kind: 'never' }
  | { readonly kind: 'time'; readonly timestamp: number }
  | { readonly kind: 'offset'; readonly offsets: OffsetSpec };

/** An offset for every partition, with exceptions for some (`3=120`, `orders:3=120`). */
export interface OffsetSpec {
  readonly all: bigint | undefined;
  readonly byPartition: ReadonlyMap<string, bigint>;
}

export interface ReadRange {
  readonly start: StartAt;
  readonly stop: StopAt;
  /** Only these partitions (of every topic); all when undefined. */
  readonly partitions?: readonly number[];
}

/** The plan for each partition of the topics, from their offsets now. */
export async function planRange(
  admin: AdminPort,
  topics: readonly string[],
  range: ReadRange,
): Promise<PartitionPlan[]> {
  const counts = await admin.partitionCounts(topics);
  const missing = topics.filter((t) => !counts.has(t));
  if (missing.length > 0)
    throw new UsageError(
      `no topic ${missing.map((t) => `"${t}"`).join(', ')} in the event log (it has ${formatList(await admin.listTopics())})`,
    );
  const plan: PartitionPlan[] = [];
  for (const topic of topics) {
    const offsets = await admin.offsets(topic);
    const chosen = (range.partitions ?? [...offsets.keys()]).map((partition) => {
      const bounds = offsets.get(partition);
      if (bounds === undefined)
        throw new UsageError(
          `topic "${topic}" has ${offsets.size} partitions; there is no partition ${partition}`,
        );
      return { partition, ...bounds };
    });
    const startTimes =
      range.start.kind === 'time' ? await admin.offsetsForTime(topic, range.start.timestamp) : undefined;
    const stopTimes =
      range.stop.kind === 'time' ? await admin.offsetsForTime(topic, range.stop.timestamp) : undefined;
    for (const { partition, low, high } of chosen.sort((a, b) => a.partition - b.partition)) {
      const bounds: Bounds = { topic, partition, low, high };
      plan.push({
        topic,
        partition,
        from: startOffset(range.start, bounds, startTimes),
        end: stopOffset(range.stop, bounds, stopTimes),
        endAtStart: bounds.high,
      });
    }
  }
  return plan;
}

/** One partition and its readable offsets when reading began. */
interface Bounds {
  readonly topic: string;
  readonly partition: number;
  readonly low: bigint;
  readonly high: bigint;
}

function clamp(offset: bigint, { low, high }: Bounds): bigint {
  return offset < low ? low : offset > high ? high : offset;
}

function startOffset(start: StartAt, bounds: Bounds, times: Map<number, Offset> | undefined): bigint {
  switch (start.kind) {
    case 'beginning':
      return bounds.low;
    case 'end':
      return bounds.high;
    case 'last':
      return clamp(bounds.high - BigInt(start.count), bounds);
    case 'time':
      return times?.get(bounds.partition) ?? bounds.high;
    case 'offset':
      return clamp(offsetFor(start.offsets, bounds.topic, bounds.partition) ?? bounds.low, bounds);
  }
}

/** Where reading a partition stops (exclusive); undefined: never, until stopped. */
function stopOffset(
  stop: StopAt,
  bounds: Bounds,
  times: Map<number, Offset> | undefined,
): bigint | undefined {
  switch (stop.kind) {
    case 'never':
      return undefined;
    case 'end':
      return bounds.high;
    case 'time':
      return times?.get(bounds.partition) ?? bounds.high;
    case 'offset':
      return clamp(offsetFor(stop.offsets, bounds.topic, bounds.partition) ?? bounds.high, bounds);
  }
}

function offsetFor(spec: OffsetSpec, topic: string, partition: number): bigint | undefined {
  return spec.byPartition.get(`${topic}:${partition}`) ?? spec.byPartition.get(`:${partition}`) ?? spec.all;
}

/** `--from-offset` / `--to-offset` values: `120` (every partition), `3=120`, `orders:3=120`. */
export function parseOffsets(values: readonly string[], option: string): OffsetSpec {
  let all: bigint | undefined;
  const byPartition = new Map<string, bigint>();
  for (const value of values) {
    // The offset is the one group every match has.
    const [, topic, partition, offset] = /^(?:(?:(.+):)?(\d+)=)?(\d+)$/.exec(value) ?? [];
    if (offset === undefined)
      throw new UsageError(
        `${option} ${value}: expected an offset (120), a partition's offset (3=120) or a topic partition's (orders:3=120)`,
      );
    if (partition === undefined) all = BigInt(offset);
    else byPartition.set(`${topic ?? ''}:${Number(partition)}`, BigInt(offset));
  }
  return { all, byPartition };
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|min|h|d)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * A point in time: milliseconds since the epoch (`1700000000000`), an ISO 8601 date or date-time
 * (`2024-05-01T10:00:00Z`), or a duration before now (`15m`, `2h`, `1d`).
 */
export function parseTime(text: string, option: string, now: number = Date.now()): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const [, amount, unit] = DURATION.exec(trimmed) ?? [];
  const unitMs = unit === undefined ? undefined : UNIT_MS[unit];
  if (unitMs !== undefined) return Math.round(now - Number(amount) * unitMs);
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const parsed = Date.parse(trimmed);
    if (Number.isFinite(parsed)) return parsed;
  }
  throw new UsageError(
    `${option} ${text}: expected milliseconds since the epoch, an ISO 8601 time (2024-05-01T10:00:00Z) or a duration ago (15m, 2h, 1d)`,
  );
}

function formatList(names: readonly string[]): string {
  if (names.length === 0) return 'no topics';
  const shown = names.slice(0, 10).join(', ');
  return names.length > 10 ? `${shown} and ${names.length - 10} more` : shown;
}
