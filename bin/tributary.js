#!/usr/bin/env node
// Launcher of the `tributary` command.
//
// Installed from npm, the package holds the build (dist/) and no sources: the command runs dist/, and
// `import 'tributary'` in the user's topology files resolves, through the package's exports, to the same
// dist/ files, so the command and the topologies share one copy of the library.
//
// In a checkout of the repository (src/ present) it always runs the TypeScript sources, never a dist/
// left over from an earlier build, and makes `import 'tributary'` in topology files resolve through
// the development-only "tributary-source" export condition (to src/index.ts) for the same reason.
import { existsSync } from 'node:fs';
import module from 'node:module';

const root = new URL('../', import.meta.url);
const fromSource = existsSync(new URL('src/cli/main.ts', root));

if (fromSource) {
  if (typeof module.registerHooks !== 'function') {
    // In a checkout, scripts/with-node.sh provides a Node new enough (Node 24 from npm, once): go through it.
    const withNode = new URL('scripts/with-node.sh', root);
    if (existsSync(withNode) && process.env.TRIBUTARY_WITH_NODE !== '1') {
      const { spawnSync } = await import('node:child_process');
      const { fileURLToPath } = await import('node:url');
      const result = spawnSync(
        'bash',
        [fileURLToPath(withNode), 'node', fileURLToPath(import.meta.url), ...process.argv.slice(2)],
        { stdio: 'inherit', env: { ...process.env, TRIBUTARY_WITH_NODE: '1' } },
      );
      process.exit(result.status ?? 2);
    }
    process.stderr.write(
      `tributary: running from the sources needs Node.js 22.18 or newer (this is ${process.version})\n`,
    );
    process.exit(2);
  }
  // Only this package's own specifiers get the condition: other packages keep their usual entry points.
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === 'tributary' || specifier.startsWith('tributary/')) {
        const conditions = [...(context.conditions ?? [])];
        if (!conditions.includes('tributary-source')) conditions.unshift('tributary-source');
        return nextResolve(specifier, { ...context, conditions });
      }
      return nextResolve(specifier, context);
    },
  });
}

const entry = new URL(fromSource ? 'src/cli/main.ts' : 'dist/cli/main.js', root);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
