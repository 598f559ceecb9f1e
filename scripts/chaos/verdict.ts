// Compares what a live run committed with what `tributary replay` writes for the same input: as
// multisets of (topic, key, value), since partitions are processed in no defined order live (the
// recording's outcome does not depend on it) and timestamps of derived records may differ.
import type { ReplayRecord } from 'tributary/testing';
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
  for (const r of committed) {
    if (!OUTPUT_TOPICS.includes(r.topic)) continue;
    const { keySerde, valueSerde } = serdes.get(r.topic)!;
    try {
      const key = r.key === null ? null : toJsonForm(keySerde, keySerde.deserialize(r.key));
      if (typeof key === 'string' && key.startsWith(poisonKeyPrefix)) continue;
      const value = r.value === null ? null : toJsonForm(valueSerde, valueSerde.deserialize(r.value));
      if (r.topic === topics.orders.name && (value as Order | null)?.state === 'CREATED') continue;
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
  let wrong = undecodable;
  for (const [item, want] of expected) {
    const got = live.get(item) ?? 0;
    if (got < want) {
      lost += want - got;
      if (examples.length < 10) examples.push(`lost ${want - got}× ${item}`);
    }
    if (got > want) {
      duplicated += got - want;
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
  return { decided: decidedIds.size, lost, duplicated, wrong, examples };
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
