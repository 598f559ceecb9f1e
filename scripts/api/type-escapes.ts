/**
 * Counts the places where `src/` steps outside its own types: `as` casts (not `as const`), angle-bracket
 * assertions, non-null assertions (`x!`), and `any` written as a type. Read from the syntax tree, so
 * comments, strings and `import { a as b }` are not counted.
 *
 *   node scripts/api/type-escapes.ts [dir] [--by-folder]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

interface Counts {
  casts: number;
  nonNull: number;
  anyTypes: number;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = process.argv.slice(2);
const dir = join(root, args.find((arg) => !arg.startsWith('--')) ?? 'src');
const byFolder = args.includes('--by-folder');

function* typeScriptFiles(path: string): Generator<string> {
  for (const name of readdirSync(path)) {
    const child = join(path, name);
    if (statSync(child).isDirectory()) {
      if (name !== 'node_modules' && name !== 'dist') yield* typeScriptFiles(child);
    } else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) yield child;
  }
}

function isConstAssertion(type: ts.TypeNode): boolean {
  return ts.isTypeReferenceNode(type) && type.typeName.getText() === 'const';
}

function count(file: string): Counts {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const counts: Counts = { casts: 0, nonNull: 0, anyTypes: 0 };
  const visit = (node: ts.Node): void => {
    if ((ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) && !isConstAssertion(node.type)) {
      counts.casts += 1;
    } else if (ts.isNonNullExpression(node)) counts.nonNull += 1;
    else if (node.kind === ts.SyntaxKind.AnyKeyword) counts.anyTypes += 1;
    ts.forEachChild(node, visit);
  };
  visit(source);
  return counts;
}

const total: Counts = { casts: 0, nonNull: 0, anyTypes: 0 };
const folders = new Map<string, Counts>();
for (const file of typeScriptFiles(dir)) {
  const counts = count(file);
  const folder = relative(dir, file).split(sep)[0] ?? '.';
  const sum = folders.get(folder) ?? { casts: 0, nonNull: 0, anyTypes: 0 };
  for (const key of ['casts', 'nonNull', 'anyTypes'] as const) {
    sum[key] += counts[key];
    total[key] += counts[key];
  }
  folders.set(folder, sum);
}

if (byFolder) {
  for (const [folder, sum] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`${folder.padEnd(24)} casts ${sum.casts}\tnon-null ${sum.nonNull}\tany ${sum.anyTypes}`);
  }
}
console.log(`${relative(root, dir)}: casts ${total.casts}, non-null assertions ${total.nonNull}, any ${total.anyTypes}`);
