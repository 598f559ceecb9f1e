import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ORDERS_BENCH_HEADING, benchOrders, writeBenchmarkSection } from '../../scripts/bench/orders.ts';

describe('the orders benchmark (scripts/bench/orders.ts)', () => {
  it('replays a generated recording through all seven applications and reports rates beside raw LevelDB', async () => {
    const result = await benchOrders({ orders: 60, partitions: 2, baselineEntries: 2000 });
    expect(result.rows.map((r) => `${r.name} / ${r.unit} / ${r.count}`)).toEqual([
      'all 7 applications, replay / orders / 60',
      `all 7 applications, replay / input records / ${result.recording.records}`,
      'LevelDB (level), raw / batch put (1,000 per batch) / 2000',
      'LevelDB (level), raw / getSync (random keys) / 2000',
    ]);
    expect(result.outputRecords).toBeGreaterThan(60 * 4);
    expect(result.machine.cores).toBeGreaterThan(0);
    expect(result.table()).toContain(result.machine.cpu);
    expect(result.markdown()).toMatch(new RegExp(`^## ${ORDERS_BENCH_HEADING}\\n`));
  });

  it('writes its section into the benchmarks document, replacing the previous run and keeping the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-bench-doc-'));
    try {
      const file = join(dir, 'benchmarks.md');
      writeBenchmarkSection(file, 'Orders', '## Orders\n\nrun 1\n');
      expect(await readFile(file, 'utf8')).toMatch(/^# Benchmarks\n[\s\S]*\n\n## Orders\n\nrun 1\n$/);
      await writeFile(file, `${await readFile(file, 'utf8')}\n## Stores\n\nstore figures\n`);
      writeBenchmarkSection(file, 'Orders', '## Orders\n\nrun 2\n');
      const text = await readFile(file, 'utf8');
      expect(text).toContain('## Orders\n\nrun 2\n\n## Stores\n\nstore figures\n');
      expect(text).not.toContain('run 1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
