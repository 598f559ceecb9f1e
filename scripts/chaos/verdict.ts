// Compares what a live run committed with what `tributary replay` writes for the same input: as
// multisets of (topic, key, value), since partitions are processed in no defined order live (the
// recording's outcome does not depend on it) and timestamps of derived records may differ.
import type { ReplayRecord } from 'tributary/testing';
import { movesForward } from '../../schemas/order-states.ts';
import type { Order, OrderValidation } from '../../schemas/topics.ts';
import { topics } from '../../schemas/topics.ts';
import { toJsonForm, type Serde } from '../../src/serde/serde.ts';
import type { CommittedRecord } from './committed.ts';

/** The topics the orders system writes; `orders` also holds the orders fed in. */
export const OUTPUT_TOPICS = [topics.orders.name, topics.orderValidations.name, topics.emails.name];

const serdes = new Map<string, { keySerde: Serde<unknown>; valueSerde: Serde<unknown> }>(
  Object.values(topics).map((t) => [
    t.name,
    t as unknown as { keySerde: Serde<unknown>; valueSerde: Serde<unknown> },
  ]),
);

export interface Verdict {
  /** Orders the system decided (VALIDATED or FAILED by the validations aggregator). */
  readonly decided: number;
  /** Output records the oracle has and the run did not commit. */
  readonly lost: number;
  /** Output records committed more often than the oracle writes them. */
  readonly duplicated: number;
  /**
   * Of those, checks on `order-validations`: the only output at-least-once may repeat (the aggregator
   * counts distinct checks); an order state or an email written twice breaks either guarantee.
   */
  readonly duplicatedChecks: number;
  /** Order states committed on `orders` after a further state of the same order (VALIDATED after CONFIRMED, anything after FAILED). */
  readonly setBack: number;
  /** Output records committed that the oracle never writes (or could not be read). */
  readonly wrong: number;
  /** Some examples of each, for a person to look at. */
  readonly examples: readonly string[];
}

type Multiset = Map<string, number>;
const add = (set: Multiset, item: string, by = 1) => set.set(item, (set.get(item) ?? 0) + by);
/** JSON with the keys of objects sorted: the same value gives the same text, whoever built it. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
type Entry = (topic: string, key: unknown, value: unknown) => string;

/**
 * How records are compared. An order that fails two checks (no product: its details and its
 * inventory) is FAILED by whichever failing check reaches the validations aggregator first, which
 * depends on the order partitions are processed in; for those orders (the oracle shows which) the
 * reason is compared up to the check it names.
 */
export function comparison(oracle: readonly ReplayRecord[]): Entry {
  const failedChecks: Multiset = new Map();
  for (const r of oracle)
    if (r.topic === topics.orderValidations.name && (r.value as OrderValidation).validationResult === 'FAIL')
      add(failedChecks, String(r.key));
  return (topic, key, value) => {
    const order = value as Order | null;
    if (
      topic === topics.orders.name &&
      order?.state === 'FAILED' &&
      (failedChecks.get(order.id) ?? 0) > 1 &&
      /^[A-Z_]+_CHECK failed/.test(order.failureReason ?? '')
    )
      value = { ...order, failureReason: order.failureReason!.replace(/^[A-Z_]+_CHECK/, 'a check') };
    return `${topic} ${canonical(key)} ${canonical(value)}`;
  };
}

/** The oracle's output as a multiset. */
export function expectedOutputs(records: readonly ReplayRecord[], entry: Entry): Multiset {
  const set: Multiset = new Map();
  for (const r of records) if (OUTPUT_TOPICS.includes(r.topic)) add(set, entry(r.topic, r.key, r.value));
  return set;
}

/**
 * The committed outputs judged against the oracle. The CREATED orders in `orders` are the input, not
 * output; records that do not decode count as wrong, except those with a `poison` key, fed on purpose
 * as records no application can read.
 */
export function judge(
  expected: Multiset,
  committed: readonly CommittedRecord[],
  poisonKeyPrefix: string,
  entry: Entry,
): Verdict {
  const live: Multiset = new Map();
  /** Where each output record was committed (partition@offset), to tell the copies of a duplicate apart. */
  const where = new Map<string, string[]>();
  const examples: string[] = [];
  let undecodable = 0;
  /** The furthest state each order has reached on `orders`, in offset order (an order has one partition). */
  const furthest = new Map<string, Order>();
  let setBack = 0;
  for (const r of inOffsetOrder(committed)) {
    if (!OUTPUT_TOPICS.includes(r.topic)) continue;
    const { keySerde, valueSerde } = serdes.get(r.topic)!;
    try {
      const key = r.key === null ? null : toJsonForm(keySerde, keySerde.deserialize(r.key));
      if (typeof key === 'string' && key.startsWith(poisonKeyPrefix)) continue;
      const value = r.value === null ? null : toJsonForm(valueSerde, valueSerde.deserialize(r.value));
      if (r.topic === topics.orders.name && (value as Order | null)?.state === 'CREATED') continue;
      if (r.topic === topics.orders.name && value !== null) {
        const order = value as Order;
        const kept = furthest.get(order.id);
        if (!kept || movesForward(kept.state, order.state)) furthest.set(order.id, order);
        else if (kept.state !== order.state) {
          setBack++;
          if (examples.length < 10)
            examples.push(
              `set back: ${order.id} ${order.state} after ${kept.state} at ${r.partition}@${r.offset}`,
            );
        }
      }
      const item = entry(r.topic, key, value);
      add(live, item);
      where.set(item, [...(where.get(item) ?? []), `${r.partition}@${r.offset}`]);
    } catch (error) {
      undecodable++;
      if (examples.length < 5)
        examples.push(`unreadable ${r.topic}/${r.partition}@${r.offset}: ${(error as Error).message}`);
    }
  }
  let lost = 0;
  let duplicated = 0;
  let duplicatedChecks = 0;
  let wrong = undecodable;
  for (const [item, want] of expected) {
    const got = live.get(item) ?? 0;
    if (got < want) {
      lost += want - got;
      if (examples.length < 10) examples.push(`lost ${want - got}× ${item}`);
    }
    if (got > want) {
      duplicated += got - want;
      if (item.startsWith(`${topics.orderValidations.name} `)) duplicatedChecks += got - want;
      if (examples.length < 10)
        examples.push(`duplicated ${got - want}× ${item} at ${where.get(item)!.join(', ')}`);
    }
  }
  const decidedIds = new Set<string>();
  for (const [item, count] of live) {
    if (!expected.has(item)) {
      wrong += count;
      if (examples.length < 10) examples.push(`wrong ${count}× ${item}`);
    }
    const [topic, , ...rest] = item.split(' ');
    if (topic === topics.orders.name) {
      const order = JSON.parse(rest.join(' ')) as Order;
      if (order.state === 'VALIDATED' || order.state === 'FAILED') decidedIds.add(order.id);
    }
  }
  return { decided: decidedIds.size, lost, duplicated, duplicatedChecks, wrong, setBack, examples };
}

/** The records by topic and partition, each partition's in offset order (as its consumers read them). */
function inOffsetOrder(records: readonly CommittedRecord[]): CommittedRecord[] {
  return [...records].sort((a, b) =>
    a.topic !== b.topic
      ? a.topic < b.topic
        ? -1
        : 1
      : a.partition !== b.partition
        ? a.partition - b.partition
        : Number(BigInt(a.offset) - BigInt(b.offset)),
  );
}

/** Orders the oracle decides: what a live run must decide too. */
export function decidedByOracle(records: readonly ReplayRecord[]): Set<string> {
  const ids = new Set<string>();
  for (const r of records) {
    if (r.topic !== topics.orders.name) continue;
    const order = r.value as Order;
    if (order.state === 'VALIDATED' || order.state === 'FAILED') ids.add(order.id);
  }
  return ids;
}
