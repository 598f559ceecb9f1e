// The import rules of src/, read from the "may import" column of docs/architecture.md: that table is
// the rule, and `npm run lint` fails when the code leaves it. Type-only imports count as imports (a
// type cycle ties layers together as much as a value cycle does). The table itself must name every
// folder and file directly under src/, and what it allows must have no cycle, so no two layers ever
// import each other.
import { readdirSync, readFileSync } from 'node:fs';

const ARCHITECTURE = new URL('./docs/architecture.md', import.meta.url);
const SRC = new URL('./src/', import.meta.url);

/**
 * The layers table: each row's first cell names a folder (`src/serde/`) or file (`src/errors.ts`)
 * directly under src/, its last cell the entries it may import, by name (`serde`, `errors.ts`), or —.
 */
export function readLayers(markdown) {
  const layers = new Map();
  const lines = markdown.split('\n');
  const header = lines.findIndex((line) => line.startsWith('|') && /\|\s*may import\s*\|\s*$/.test(line));
  if (header < 0) throw new Error('docs/architecture.md: no table with a "may import" column');
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1);
    const entry = /^\s*`src\/([^/`]+)\/?`\s*$/.exec(cells[0] ?? '')?.[1];
    if (!entry)
      throw new Error(`docs/architecture.md: a layers row must start with \`src/<entry>\`: ${line}`);
    const allowed = [...(cells.at(-1) ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1]);
    layers.set(entry, new Set(allowed));
  }
  return layers;
}

/** Fails unless the table names exactly the entries of src/ and allows no cycle among them. */
export function checkLayers(layers, entries) {
  const missing = entries.filter((entry) => !layers.has(entry));
  const stale = [...layers.keys()].filter((entry) => !entries.includes(entry));
  for (const [entry, allowed] of layers)
    for (const target of allowed)
      if (!layers.has(target))
        throw new Error(`docs/architecture.md: ${entry} may import "${target}", which has no row`);
  if (missing.length || stale.length)
    throw new Error(
      `docs/architecture.md: the layers table must list every entry of src/ (missing: ${missing.join(', ') || 'none'}; no longer in src/: ${stale.join(', ') || 'none'})`,
    );
  const state = new Map();
  const visit = (entry, path) => {
    if (state.get(entry) === 'done') return;
    if (state.get(entry) === 'open')
      throw new Error(`docs/architecture.md: the layers allow a cycle: ${[...path, entry].join(' → ')}`);
    state.set(entry, 'open');
    for (const target of layers.get(entry)) visit(target, [...path, entry]);
    state.set(entry, 'done');
  };
  for (const entry of layers.keys()) visit(entry, []);
}

const pathOf = (entry) => `^src/${entry.replaceAll('.', '\\.')}${entry.endsWith('.ts') ? '$' : '/'}`;

export function layerRules(layers) {
  return [...layers].map(([entry, allowed]) => ({
    name: `layers: src/${entry}`,
    comment: `src/${entry} may import ${allowed.size ? [...allowed].join(', ') : 'nothing else in src/'} (docs/architecture.md)`,
    severity: 'error',
    from: { path: pathOf(entry) },
    to: { path: '^src/', pathNot: [entry, ...allowed].map(pathOf) },
  }));
}

const layers = readLayers(readFileSync(ARCHITECTURE, 'utf8'));
checkLayers(
  layers,
  readdirSync(SRC, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() || entry.name.endsWith('.ts'))
    .map((entry) => entry.name),
);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...layerRules(layers),
    {
      name: 'resolvable',
      comment: 'An import of our own files that the checker cannot resolve is one it cannot judge.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true, path: '^[.]' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: {
      conditionNames: ['tributary-source', 'import', 'types', 'default'],
      extensions: ['.ts', '.tsx', '.js'],
    },
  },
};
