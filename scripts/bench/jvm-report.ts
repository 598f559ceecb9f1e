// The table of `npm run bench:jvm`: per case, each engine's median over its runs, the ratio
// Tributary / Kafka Streams, and the goal it is held to.
import type { EngineName } from './jvm-engines.ts';
import type { OutcomeComparison } from './jvm-outcome.ts';
import type { ReplayCheck } from './jvm-replay.ts';
import { format } from './kafka-kit.ts';

/** One run of one engine in one case; `metrics` by name, or the error that ended it. */
export interface RunRecord {
  readonly case: string;
  readonly engine: EngineName;
  readonly repetition: number;
  readonly loadBefore?: number;
  readonly loadAfter?: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly error?: string;
}

/** A measure of a case: which metric, how it is shown, and the goal for the ratio Tributary / Kafka Streams. */
export interface Measure {
  readonly metric: string;
  readonly label: string;
  readonly unit: string;
  /** The ratio must be at least this (`min`) or at most this (`max`). */
  readonly goal?: { readonly min?: number; readonly max?: number };
  /** A goal on Tributary's own figure rather than on the ratio. */
  readonly absoluteGoal?: { readonly min: number };
}

export interface Row {
  readonly case: string;
  readonly measure: string;
  readonly kafkaStreams: number | undefined;
  readonly tributary: number | undefined;
  readonly ratio: number | undefined;
  readonly goal: string;
  readonly met: boolean | undefined;
  readonly load: string;
  readonly runs: string;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);

export function rows(runs: readonly RunRecord[], measures: ReadonlyMap<string, readonly Measure[]>): Row[] {
  const out: Row[] = [];
  for (const [caseName, list] of measures) {
    const ofCase = runs.filter((r) => r.case === caseName);
    if (ofCase.length === 0) continue;
    const loads = ofCase.flatMap((r) => [r.loadBefore, r.loadAfter]).filter((l) => l !== undefined);
    const load = loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : '';
    const failed = ofCase.filter((r) => r.error).length;
    for (const measure of list) {
      const value = (engine: EngineName) =>
        median(
          ofCase
            .filter((r) => r.engine === engine && !r.error && Number.isFinite(r.metrics[measure.metric]))
            .map((r) => r.metrics[measure.metric]!),
        );
      const [ks, tributary] = [value('kafka-streams'), value('tributary')];
      const ratio = ks !== undefined && tributary !== undefined && ks !== 0 ? tributary / ks : undefined;
      let goal = '';
      let met: boolean | undefined;
      if (measure.goal?.min !== undefined) {
        goal = `≥ ${measure.goal.min}×`;
        met = ratio === undefined ? undefined : ratio >= measure.goal.min;
      } else if (measure.goal?.max !== undefined) {
        goal = `≤ ${measure.goal.max}×`;
        met = ratio === undefined ? undefined : ratio <= measure.goal.max;
      } else if (measure.absoluteGoal) {
        goal = `Tributary ≥ ${format(measure.absoluteGoal.min)} ${measure.unit}`;
        met = tributary === undefined ? undefined : tributary >= measure.absoluteGoal.min;
      }
      out.push({
        case: caseName,
        measure: `${measure.label} (${measure.unit})`,
        kafkaStreams: ks === undefined ? undefined : round(ks),
        tributary: tributary === undefined ? undefined : round(tributary),
        ratio: ratio === undefined ? undefined : Math.round(ratio * 100) / 100,
        goal,
        met,
        load,
        runs: `${ofCase.length - failed} of ${ofCase.length}`,
      });
    }
  }
  return out;
}

const show = (n: number | undefined) => (n === undefined ? '—' : format(n));
const verdict = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : 'not met');

export function markdownTable(table: readonly Row[]): string {
  return [
    '| case | measure | Kafka Streams | Tributary | Tributary / Kafka Streams | goal | | load average (1 min) | runs |',
    '| --- | --- | ---: | ---: | ---: | --- | --- | --- | --- |',
    ...table.map(
      (r) =>
        `| ${r.case} | ${r.measure} | ${show(r.kafkaStreams)} | ${show(r.tributary)} | ${r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`} | ${r.goal} | ${verdict(r.met)} | ${r.load} | ${r.runs} |`,
    ),
  ].join('\n');
}

/** A fixed-width table for the terminal. */
export function textTable(table: readonly Row[]): string {
  const cells = [
    ['case', 'measure', 'Kafka Streams', 'Tributary', 'ratio', 'goal', '', 'load', 'runs'],
    ...table.map((r) => [
      r.case,
      r.measure,
      show(r.kafkaStreams),
      show(r.tributary),
      r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`,
      r.goal,
      verdict(r.met),
      r.load,
      r.runs,
    ]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One line per comparison of two runs' final states; differences no delivery order explains come first. */
export function describeComparison(what: string, c: OutcomeComparison): string {
  if (c.agreeing === c.orders)
    return `${what}: all ${format(c.orders)} orders agree (final state and emails)`;
  const kinds = c.kinds
    .slice(0, 4)
    .map((k) => `${format(k.orders)} × ${k.kind} (e.g. ${k.example})`)
    .join('; ');
  const head =
    c.unexplained > 0
      ? `DISAGREE on ${format(c.unexplained)} of ${format(c.orders)} orders beyond the order of delivery`
      : `agree on every order but ${format(c.orderDependent)} of ${format(c.orders)}, all decided by a fraud or inventory check that depends on which orders came first`;
  return `${what}: ${head}${c.unexplained > 0 ? ` (${format(c.orderDependent)} more differ by the order of delivery)` : ''}. Largest kinds (Kafka Streams → Tributary): ${kinds}`;
}

/**
 * A replay is deterministic: every difference is one of rules, but for the failure an order FAILED with
 * when several of its checks failed (the same ones on both sides): Kafka Streams' TopologyTestDriver
 * runs an application's repartition topic at once, Tributary's replay queues it behind the records
 * already written, so the checks reach the aggregator in another order.
 */
export function replayAgrees(check: ReplayCheck): boolean {
  const { comparison, written } = check;
  return (
    comparison.agreeing + comparison.firstFailureOrder === comparison.orders &&
    written.kafkaStreams === written.tributary
  );
}

export function describeReplay(check: ReplayCheck): string {
  const { comparison: c, written } = check;
  if (replayAgrees(check))
    return `${check.recording}: both agree on all ${format(c.orders)} orders (final state, checks and emails), ${format(written.tributary)} records written by each${c.firstFailureOrder > 0 ? `; ${format(c.firstFailureOrder)} FAILED with the same failed checks, each naming another as the first (the checks reached the aggregator in another order)` : ''}`;
  const kinds = c.kinds
    .slice(0, 4)
    .map((k) => `${format(k.orders)} × ${k.kind} (e.g. ${k.example})`)
    .join('; ');
  return `${check.recording}: DISAGREE on ${format(c.orders - c.agreeing)} of ${format(c.orders)} orders; records written: ${format(written.kafkaStreams)} by Kafka Streams, ${format(written.tributary)} by Tributary${kinds ? `. Kinds (Kafka Streams → Tributary): ${kinds}` : ''}`;
}
