// Keeps the counts in test/conformance/README.md true: for each Java test class, the README's number of
// ported and not-applicable methods must be what the suite's file for that class holds, and together
// they must account for every test method of the Java class.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = new URL('.', import.meta.url).pathname;

interface Counts {
  readonly file: string;
  readonly ported: string[];
  readonly notApplicable: string[];
  readonly pending: string[];
}

function suiteCounts(): Map<string, Counts> {
  const counts = new Map<string, Counts>();
  for (const file of readdirSync(dir).filter(
    (f) => f.endsWith('.test.ts') && f !== 'readme-counts.test.ts',
  )) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const block of text.split(/^describe\(/m).slice(1)) {
      const javaClass = /^'([A-Za-z]+Test)'/.exec(block)?.[1];
      if (!javaClass) continue;
      const names = (pattern: RegExp) => [...block.matchAll(pattern)].map((m) => m[1]!);
      counts.set(javaClass, {
        file,
        ported: names(/javaTest\(\s*'([^']+)'/g),
        notApplicable: names(/notApplicable\(\s*'([^']+)'/g),
        pending: names(/pending\(\s*'([^']+)'/g),
      });
    }
  }
  return counts;
}

interface Row {
  readonly methods: number;
  readonly ported: number;
  readonly notApplicable: number;
  readonly pending: number;
}

function readmeRows(): Map<string, Row> {
  const rows = new Map<string, Row>();
  const text = readFileSync(join(dir, 'README.md'), 'utf8');
  for (const match of text.matchAll(
    /^\|\s*`([A-Za-z]+Test)`\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|/gm,
  )) {
    rows.set(match[1]!, {
      methods: Number(match[2]),
      ported: Number(match[3]),
      notApplicable: Number(match[4]),
      pending: Number(match[5]),
    });
  }
  return rows;
}

describe('conformance suite README', () => {
  const suite = suiteCounts();
  const rows = readmeRows();

  it('has a row for every Java test class the suite ports, and no other', () => {
    expect([...rows.keys()].sort()).toEqual([...suite.keys()].sort());
  });

  for (const [javaClass, counts] of suite) {
    it(`${javaClass}: the README's counts are the suite's, and every Java method is accounted for`, () => {
      const names = [...counts.ported, ...counts.notApplicable, ...counts.pending];
      expect(new Set(names).size, `a method of ${javaClass} is listed twice in ${counts.file}`).toBe(
        names.length,
      );
      const row = rows.get(javaClass)!;
      expect({ ported: row.ported, notApplicable: row.notApplicable, pending: row.pending }).toEqual({
        ported: counts.ported.length,
        notApplicable: counts.notApplicable.length,
        pending: counts.pending.length,
      });
      expect(row.ported + row.notApplicable + row.pending).toBe(row.methods);
    });
  }
});
