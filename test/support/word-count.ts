import { Serdes } from 'tributary';
import type { LogRecord } from '../../src/kafka/port.ts';
import { uniqueName, type KafkaKit, type TypedRecord } from './kafka-kit.ts';

/** Helpers for tests of test/integration/fixtures/word-count-app.ts. */
export const wordCountApp = 'test/integration/fixtures/word-count-app.ts';

/**
 * Creates a words topic and a counts topic of their own, and names an application id of its own, for
 * one test of the word-count fixture; `env` is what its workers read them from.
 */
export async function wordCountTopics(
  kit: KafkaKit,
  partitions: number,
  appPrefix = 'word-count',
): Promise<{ words: string; counts: string; env: Record<string, string> }> {
  const [words, counts, app] = [uniqueName('words'), uniqueName('counts'), uniqueName(appPrefix)];
  await kit.createTopics({ [words]: partitions, [counts]: partitions });
  return { words, counts, env: { WORDS_TOPIC: words, COUNTS_TOPIC: counts, WORD_COUNT_APP_ID: app } };
}

const string = Serdes.String();
const long = Serdes.Long();

/** `count` records whose values cycle through `words` words, keyed so they spread over all partitions. */
export function wordRecords(from: number, count: number, words: number): TypedRecord<string, string>[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `k${from + i}`,
    value: `w${(from + i) % words}`,
  }));
}

/** How often each word occurs in records `wordRecords(0, total, words)`. */
export function expectedCounts(total: number, words: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < total; i++) counts.set(`w${i % words}`, (counts.get(`w${i % words}`) ?? 0) + 1);
  return counts;
}

/** How often each word occurs in the input records as the words topic holds them. */
export function inputCounts(records: readonly LogRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) {
    const word = string.deserialize(r.value!);
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** Every count the output holds per word, in offset order (one partition holds all of a word's counts). */
export function countSequences(records: readonly LogRecord[]): Map<string, number[]> {
  const sequences = new Map<string, number[]>();
  const ordered = [...records].sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
  for (const r of ordered) {
    const word = string.deserialize(r.key!);
    let list = sequences.get(word);
    if (!list) sequences.set(word, (list = []));
    list.push(long.deserialize(r.value!));
  }
  return sequences;
}

/** The latest count per word. */
export function latestCounts(records: readonly LogRecord[]): Map<string, number> {
  return new Map([...countSequences(records)].map(([word, counts]) => [word, counts.at(-1)!]));
}

/** True when the output shows the expected final count of every word. */
export function reached(records: readonly LogRecord[], expected: ReadonlyMap<string, number>): boolean {
  const latest = latestCounts(records);
  return [...expected].every(([word, count]) => latest.get(word) === count);
}

/** True when every word's latest count has reached the expected one, or passed it (records counted twice). */
export function reachedOrPassed(
  records: readonly LogRecord[],
  expected: ReadonlyMap<string, number>,
): boolean {
  const latest = latestCounts(records);
  return [...expected].every(([word, count]) => (latest.get(word) ?? 0) >= count);
}

/** Each word's counts must go 1, 2, 3, ... n with nothing repeated or skipped. */
export function countProblems(
  records: readonly LogRecord[],
  expected: ReadonlyMap<string, number>,
): string[] {
  const problems: string[] = [];
  const sequences = countSequences(records);
  for (const [word, total] of expected) {
    const counts = sequences.get(word) ?? [];
    const wanted = Array.from({ length: total }, (_, i) => i + 1);
    if (counts.join(',') !== wanted.join(','))
      problems.push(`${word}: got ${summarize(counts)}, wanted 1..${total}`);
  }
  return problems;
}

function summarize(counts: readonly number[]): string {
  const first = counts.findIndex((c, i) => c !== i + 1);
  // In line throughout but too long: records were counted more than once and the counts went on.
  if (first < 0) return `${counts.length} counts, 1..${counts.length} in line`;
  const odd = counts.filter((c, i) => c !== i + 1);
  return `${counts.length} counts, first out of line at index ${first} (${odd.slice(0, 5).join(',')}...)`;
}
