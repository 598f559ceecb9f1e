import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- the dependency-cruiser config is plain JavaScript without declarations.
import { checkLayers, layerRules, readLayers } from '../../.dependency-cruiser.js';

type Layers = Map<string, Set<string>>;
const layersOf = (markdown: string): Layers => readLayers(markdown) as Layers;

const table = (...rows: [string, string][]) =>
  [
    '| entry | what it does | may import |',
    '| --- | --- | --- |',
    ...rows.map(([e, m]) => `| \`${e}\` | x | ${m} |`),
  ].join('\n');

describe('the import rules read from docs/architecture.md', () => {
  it('reads each row: the entry and what it may import', () => {
    const layers = layersOf(
      table(['src/errors.ts', '—'], ['src/serde/', '`errors.ts`'], ['src/state/', '`serde`, `errors.ts`']),
    );
    expect([...layers].map(([entry, allowed]) => [entry, [...allowed]])).toEqual([
      ['errors.ts', []],
      ['serde', ['errors.ts']],
      ['state', ['serde', 'errors.ts']],
    ]);
  });

  it('refuses a table that allows a cycle, naming it', () => {
    const layers = layersOf(table(['src/a/', '`b`'], ['src/b/', '`c`'], ['src/c/', '`a`']));
    expect(() => checkLayers(layers, ['a', 'b', 'c'])).toThrow('the layers allow a cycle: a → b → c → a');
  });

  it('refuses a table that misses an entry of src/ or names one that is gone', () => {
    const layers = layersOf(table(['src/a/', '—'], ['src/gone/', '`a`']));
    expect(() => checkLayers(layers, ['a', 'new'])).toThrow('missing: new; no longer in src/: gone');
  });

  it('turns each row into a rule that forbids every other entry of src/', () => {
    const [rule] = layerRules(layersOf(table(['src/kafka/', '`errors.ts`, `common`']))) as {
      from: { path: string };
      to: { path: string; pathNot: string[] };
    }[];
    const allowed = (path: string) => rule!.to.pathNot.some((pattern) => new RegExp(pattern).test(path));
    expect(new RegExp(rule!.from.path).test('src/kafka/port.ts')).toBe(true);
    expect(allowed('src/kafka/kafkajs/convert.ts')).toBe(true);
    expect(allowed('src/common/logger.ts')).toBe(true);
    expect(allowed('src/errors.ts')).toBe(true);
    expect(allowed('src/runtime/logger.ts')).toBe(false);
    expect(allowed('src/errors.tsx')).toBe(false);
  });

  it('holds for this repository: every entry of src/ has a row, and the rows allow no cycle', () => {
    const layers = layersOf(readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8'));
    const entries = readdirSync(new URL('../../src/', import.meta.url), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() || entry.name.endsWith('.ts'))
      .map((entry) => entry.name);
    expect(() => checkLayers(layers, entries)).not.toThrow();
    expect(layers.get('kafka')).not.toContain('runtime');
    expect(layers.get('processor')).not.toContain('topology');
  });
});
