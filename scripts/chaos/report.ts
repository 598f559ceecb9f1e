// A chaos run's results as a Markdown table and a few lines per experiment.
import type { ExperimentResult } from './experiment.ts';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Median and maximum recovery time over the faults with orders in flight; faults after which some
 * order was never decided count apart.
 */
export function recoverySummary(result: ExperimentResult): string {
  const faults = result.faults.filter((f) => f.inFlight > 0);
  const times = faults.flatMap((f) => (f.recoveryMs === null ? [] : [f.recoveryMs]));
  const never = faults.length - times.length;
  if (times.length === 0) return never ? `never (${never} faults)` : '—';
  return `${seconds(median(times))} / ${seconds(Math.max(...times))}${never ? `, never after ${never}` : ''}`;
}

export function tableHeader(): string[] {
  return [
    '| Kafka | guarantee | faults | orders in | decided (oracle) | lost | duplicated (checks) | wrong | states set back | readers agree | recovery median / max | restores full / tail | dead letters (poison fed) | unplanned worker exits |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
}

/** One row: lost, duplicated and wrong as Kafka's Java consumer reads them (Tributary's reader too, when it differs). */
export function tableRow(r: ExperimentResult): string {
  const { java: j, tributary: t } = r;
  const both = (a: number, b: number) => (a === b ? `${a}` : `${a} (Tributary's reader: ${b})`);
  const kafka = r.options.topology === 'single' ? '1 broker' : `3 brokers (RF ${r.replicas})`;
  const faults = Object.entries(
    r.faults.reduce<Record<string, number>>((n, f) => ({ ...n, [f.fault]: (n[f.fault] ?? 0) + 1 }), {}),
  )
    .map(([fault, n]) => (n > 1 ? `${fault} ×${n}` : fault))
    .join(', ');
  const letters = Object.values(r.deadLetters).reduce((a, b) => a + b, 0);
  const perTopic = Object.keys(r.deadLetters).length;
  return `| ${kafka} | ${r.options.guarantee} | ${faults} | ${r.ordersIn} | ${both(j.decided, t.decided)} (${r.expectedDecided}) | ${both(j.lost, t.lost)} | ${both(j.duplicated, t.duplicated)} (${both(j.duplicatedChecks, t.duplicatedChecks)}) | ${both(j.wrong, t.wrong)} | ${both(j.setBack, t.setBack)} | ${r.readersAgree ? 'yes' : 'no'} | ${recoverySummary(r)} | ${r.restores.full} / ${r.restores.tail} | ${letters} in ${perTopic} topics (${r.poisonFed}) | ${r.unplannedExits.length} |`;
}

/** What a person reads after each experiment. */
export function describe(r: ExperimentResult): string {
  const lines = [
    `${r.options.topology === 'single' ? 'one broker' : 'three brokers'}, ${r.options.guarantee}, ${r.ordersIn} orders in ${seconds(r.durationMs)}:`,
    `  decided ${r.java.decided} of the oracle's ${r.expectedDecided}; lost ${r.java.lost}, duplicated ${r.java.duplicated} (checks ${r.java.duplicatedChecks}), wrong ${r.java.wrong}, states set back ${r.java.setBack} (Kafka's Java read_committed consumer)`,
    `  Tributary's consumer: decided ${r.tributary.decided}; lost ${r.tributary.lost}, duplicated ${r.tributary.duplicated} (checks ${r.tributary.duplicatedChecks}), wrong ${r.tributary.wrong}, states set back ${r.tributary.setBack}; same records as Java's: ${r.readersAgree ? 'yes' : 'no'}`,
    ...r.faults.map(
      (f) =>
        `  ${f.fault} (${f.detail}): ${f.inFlight} orders in flight; ${f.recoveryMs === null ? 'some were never decided' : `all decided ${seconds(f.recoveryMs)} after the fault`}`,
    ),
    `  recovery median / max: ${recoverySummary(r)}; restores: ${r.restores.full} full, ${r.restores.tail} tail`,
    `  dead letters: ${JSON.stringify(r.deadLetters)} for ${r.poisonFed} poison records; input slices sent again: ${r.resentSlices}${r.inputFedTwice ? ` (${r.inputFedTwice} records in twice, replayed so by the oracle)` : ''}`,
    ...r.unplannedExits.map((e) => `  unplanned: ${e}`),
    ...r.readFailures.map((e) => `  could not read: ${e}`),
    ...r.java.examples.map((e) => `  e.g. ${e}`),
  ];
  return lines.join('\n');
}
