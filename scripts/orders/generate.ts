/**
 * Writes a generated recording of the orders system to standard output (JSONL, the replay format):
 *
 *   npm run generate -- --orders 10000 --seed 1 > rec.jsonl
 *   npx tributary replay topologies/*.ts --input rec.jsonl --partitions 3
 *
 * Options: --orders <n> (default 1000), --customers <n> (default orders / 10, at least 10),
 * --seed <n> (default 1), --start <ms since the epoch>, --mean-gap-ms <ms between orders, default 20000>.
 * The same options write the same bytes. A summary of what was generated goes to standard error.
 */
import { parseArgs } from 'node:util';
import { generateRecording, recordingLines } from './recording.ts';

function whole(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) {
    process.stderr.write(`generate: --${option} expects a whole number, got "${text}"\n`);
    process.exit(2);
  }
  return Number(text);
}

const { values } = parseArgs({
  options: {
    orders: { type: 'string' },
    customers: { type: 'string' },
    seed: { type: 'string' },
    start: { type: 'string' },
    'mean-gap-ms': { type: 'string' },
  },
});

const { records, counts } = generateRecording({
  orders: whole(values.orders, 'orders') ?? 1000,
  customers: whole(values.customers, 'customers'),
  seed: whole(values.seed, 'seed'),
  startMs: whole(values.start, 'start'),
  meanOrderGapMs: whole(values['mean-gap-ms'], 'mean-gap-ms'),
});

// Written in chunks: one write per line is slow, one string for 100k orders is large.
let chunk: string[] = [];
for (const line of recordingLines(records)) {
  chunk.push(line);
  if (chunk.length === 5000) {
    process.stdout.write(chunk.join(''));
    chunk = [];
  }
}
process.stdout.write(chunk.join(''));
process.stderr.write(`generated ${records.length} records: ${JSON.stringify(counts)}\n`);
