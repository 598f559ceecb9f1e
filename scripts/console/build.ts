/**
 * Builds the web console into dist/console/public/ (or the directory given with --out): one bundle of
 * script and one of styles, minified, with the page that loads them. `npm run build` runs it after
 * tsc, so the npm package ships the console built; the worker serves these files (src/console/).
 */
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const web = join(root, 'src/console/web');

export async function buildConsole(
  out = join(root, 'dist/console/public'),
): Promise<{ out: string; bytes: number }> {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { console: join(web, 'main.tsx') },
    outdir: out,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome115', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
    tsconfig: join(web, 'tsconfig.json'),
  });
  copyFileSync(join(web, 'index.html'), join(out, 'index.html'));
  const bytes = ['console.js', 'console.css', 'index.html'].reduce(
    (n, f) => n + statSync(join(out, f)).size,
    0,
  );
  return { out, bytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const { out, bytes } = await buildConsole(values.out);
  // On stderr, as tsc and esbuild report: `npm pack --json` runs the build and its stdout must stay JSON.
  console.error(`console built into ${out} (${Math.round(bytes / 1024)} KiB)`);
}
