/**
 * Every recording in test/recordings replayed through all seven applications together and compared with
 * its golden output. A recording `<name>.jsonl` has its golden in `<name>.golden.jsonl`; a sidecar
 * `<name>.options.json` may set `"partitions"` (of every topic, default 1), as `--partitions` does:
 *
 *   node bin/tributary.js replay topologies/*.ts --input test/recordings/<name>.jsonl \
 *     --expect test/recordings/<name>.golden.jsonl [--partitions <n>] [--update]
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareWithGolden, replay } from 'tributary/testing';
import { topologyFiles } from '../../scripts/orders/apps.ts';
import { orderApps } from './support.ts';

const directory = fileURLToPath(new URL('../recordings/', import.meta.url));
const recordings = readdirSync(directory)
  .filter((file) => file.endsWith('.jsonl') && !file.endsWith('.golden.jsonl'))
  .map((file) => file.slice(0, -'.jsonl'.length))
  .sort();

interface RecordingOptions {
  readonly partitions?: number;
}

function optionsOf(name: string): RecordingOptions {
  const file = join(directory, `${name}.options.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RecordingOptions) : {};
}

describe('recorded orders replayed through all seven applications', () => {
  it('runs every topology file, each named by its application id, in the order a shell lists them', () => {
    expect(orderApps.map((app) => `${app.applicationId}.ts`)).toEqual(topologyFiles());
    expect(orderApps.map((app) => app.applicationId).sort()).toEqual([
      'emails',
      'fraud',
      'inventory',
      'order-details',
      'orders-view',
      'payments',
      'validations-aggregator',
    ]);
  });

  it('covers the cases the orders system promises', () => {
    expect(recordings).toEqual(
      expect.arrayContaining([
        'happy-path',
        'bad-details',
        'out-of-stock',
        'unknown-product',
        'fraud-session',
        'duplicate-and-late-validations',
        'reservation-release',
        'payment-below-value',
        'payment-timing',
        'interleaved-partitions',
      ]),
    );
    expect(optionsOf('interleaved-partitions').partitions).toBe(3);
  });

  for (const name of recordings) {
    it(`${name} matches ${name}.golden.jsonl`, async () => {
      const goldenFile = join(directory, `${name}.golden.jsonl`);
      expect(existsSync(goldenFile), `${name}.golden.jsonl is missing`).toBe(true);
      const result = await replay({
        apps: orderApps,
        input: readFileSync(join(directory, `${name}.jsonl`), 'utf8'),
        inputSource: `${name}.jsonl`,
        partitions: optionsOf(name).partitions ?? 1,
      });
      const comparison = compareWithGolden(result.records, readFileSync(goldenFile, 'utf8'), goldenFile);
      expect(comparison.matches, comparison.report).toBe(true);
    });
  }
});
