// npm run chaos: the orders system under faults, judged against `tributary replay` of its input.
//
//   npm run chaos -- [--kafka single,cluster] [--guarantee exactly-once,at-least-once]
//     [--orders 2000] [--feed-seconds 300] [--faults kill-one,kill-two,...] [--short] [--json file]
//
//   --short    the version `npm test` runs: one broker, exactly-once, 300 orders over 120 s, four faults;
//              with --kafka cluster: the 3-node cluster, one broker fault (npm run chaos:cluster).
//   Ports: CHAOS_KAFKA_PORT (one broker, +1 for its controller), CHAOS_CLUSTER_PORT (six ports).
// Prints each experiment's figures and, at the end, a Markdown table (docs/reliability.md shows one).
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { ProcessingGuarantee } from '../../src/runtime/worker/config.ts';
import { describeMachine } from '../bench/machine.ts';
import type { Topology } from './brokers.ts';
import { runExperiment, type ExperimentResult } from './experiment.ts';
import { FAULTS, LONG_FAULTS, SHORT, SHORT_CLUSTER, type Fault } from './faults.ts';
import { describe, tableHeader, tableRow } from './report.ts';

const { values: args } = parseArgs({
  options: {
    kafka: { type: 'string' },
    guarantee: { type: 'string', default: 'exactly-once,at-least-once' },
    orders: { type: 'string', default: '2000' },
    'feed-seconds': { type: 'string', default: '300' },
    faults: { type: 'string', default: LONG_FAULTS.join(',') },
    short: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const kafkas = (args.kafka ?? (args.short ? SHORT.topology : 'single,cluster')).split(',') as Topology[];
if (args.short && kafkas.length > 1) throw new Error('--short runs on one Kafka: --kafka single or cluster');
const short = kafkas[0] === 'cluster' ? SHORT_CLUSTER : SHORT;
const faults = (args.short ? short.faults : args.faults.split(',')) as Fault[];
for (const fault of faults)
  if (!(fault in FAULTS))
    throw new Error(`unknown fault "${fault}"; known: ${Object.keys(FAULTS).join(', ')}`);
const guarantees = (args.short ? [short.guarantee] : args.guarantee.split(',')) as ProcessingGuarantee[];
const orders = args.short ? short.orders : Number(args.orders);
const feedMs = args.short ? short.feedMs : Number(args['feed-seconds']) * 1000;

const results: ExperimentResult[] = [];
for (const topology of kafkas)
  for (const guarantee of guarantees) {
    console.error(
      `chaos: ${topology}, ${guarantee}, ${orders} orders over ${feedMs / 1000} s, faults ${faults.join(', ')}`,
    );
    const result = await runExperiment({
      topology,
      guarantee,
      orders,
      feedMs,
      faults,
      log: (line) => console.error(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
    });
    console.log(describe(result));
    results.push(result);
    if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
  }
const load = loadavg()
  .map((n) => n.toFixed(1))
  .join(', ');
console.log(
  [
    '',
    `Machine: ${describeMachine()}; load average ${load} when the run ended.`,
    '',
    ...tableHeader(),
    ...results.map(tableRow),
  ].join('\n'),
);

// Every run is judged by its guarantee, and fails (exit code 1) where the system did not hold.
const failures = results.flatMap((r) =>
  guaranteeFailures(r).map((failure) => `${r.options.topology}, ${r.options.guarantee}: ${failure}`),
);
for (const failure of failures) console.error(`chaos: FAILED: ${failure}`);
if (failures.length > 0) process.exitCode = 1;

/**
 * What a run must show: every order decided, nothing lost or wrong, no order state set back, by both
 * readers, which read the same records; recovery after each fault and no unplanned exit. Nothing
 * duplicated under exactly-once; under at-least-once a check on `order-validations` may be written
 * again (docs/orders.md, "Crashes"), but no order state and no email.
 */
function guaranteeFailures(r: ExperimentResult): string[] {
  const failures = [...r.readFailures];
  for (const [reader, v] of [
    ["Kafka's Java consumer", r.java],
    ["Tributary's consumer", r.tributary],
  ] as const) {
    if (v.decided !== r.expectedDecided)
      failures.push(`${reader}: ${v.decided} of ${r.expectedDecided} decided`);
    const repeated =
      r.options.guarantee === 'exactly-once' ? v.duplicated : v.duplicated - v.duplicatedChecks;
    if (v.lost + repeated + v.wrong + v.setBack > 0)
      failures.push(
        `${reader}: lost ${v.lost}, duplicated ${v.duplicated} (${v.duplicatedChecks} of them checks), wrong ${v.wrong}, states set back ${v.setBack}`,
      );
  }
  if (!r.readersAgree) failures.push('the two readers read different records');
  for (const f of r.faults)
    if (f.recoveryMs === null) failures.push(`no recovery after ${f.fault} (${f.detail})`);
  failures.push(...r.unplannedExits.map((exit) => `unplanned exit: ${exit}`));
  return failures;
}
