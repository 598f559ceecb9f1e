/**
 * The package as a user gets it: `npm pack` (which builds dist/) installed into a project of its own
 * (test/package/consumer/, copied to a temporary directory, `"type": "module"`). The project type-checks
 * against the shipped declarations (strict, without skipLibCheck), tests its topology with the test
 * driver (node --test), and runs `tributary` from node_modules/.bin. npm installs from its cache when it
 * can (the versions are the ones this repository installed).
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess, type ProcessRun } from '../support/run-process.ts';
import { freeEndpoint } from '../support/worker-process.ts';
import pageViewsApp from './consumer/topologies/page-view-counts.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./consumer/', import.meta.url));

/** What `npm pack --json` says of the tarball. */
interface Packed {
  readonly filename: string;
  readonly size: number;
  readonly entryCount: number;
  readonly files: readonly { readonly path: string }[];
}

/**
 * This process's environment without what would point the commands elsewhere: npm's settings for the
 * script running the tests (its project directory among them), and the worker settings `start` reads.
 */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) && !keep.has(name.toLowerCase())) continue;
    if (
      /^(INIT_CWD|KAFKA_BROKERS|SCHEMA_REGISTRY_URL|STATE_DIR|TRIBUTARY_.*|LOG_.*|PORT|DATA_DIR)$/.test(name)
    )
      continue;
    env[name] = value;
  }
  return { ...env, npm_config_update_notifier: 'false' };
}

/** Runs a command that must succeed, and fails with its output when it does not. */
async function succeed(command: string, args: readonly string[], cwd: string): Promise<ProcessRun> {
  const result = await runProcess(command, args, { cwd, env: cleanEnvironment() });
  if (result.code !== 0)
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  return result;
}

async function installedVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

describe('the npm package, installed in a project of its own', () => {
  let work = '';
  let consumer = '';
  let packed: Packed;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tributary-package-'));
    const pack = await succeed('npm', ['pack', '--json', '--pack-destination', work], root);
    packed = (JSON.parse(pack.stdout) as Packed[])[0]!;
    consumer = join(work, 'consumer');
    await cp(fixture, consumer, { recursive: true });
    await writeFile(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'page-view-counts', private: true, type: 'module' }, null, 2),
    );
    await succeed(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(work, packed.filename),
        `typescript@${await installedVersion('typescript')}`,
        `@types/node@${await installedVersion('@types/node')}`,
      ],
      consumer,
    );
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds the build with its declarations, the console, the command and the license; no TypeScript sources', async () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'bin/tributary.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/testing/index.js',
        'dist/testing/index.d.ts',
        'dist/cli/main.js',
        'dist/cli/commands/describe.js',
        'dist/console/public/index.html',
        'dist/console/public/console.js',
        'dist/console/public/console.css',
      ]),
    );
    expect(
      paths.filter(
        (p) =>
          !/^(dist\/.*\.(js|d\.ts)|dist\/console\/public\/.*\.(html|css)|bin\/tributary\.js|package\.json|README\.md|LICENSE)$/.test(
            p,
          ),
      ),
    ).toEqual([]);
    const license = await readFile(join(consumer, 'node_modules/tributary/LICENSE'), 'utf8');
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
  });

  it('type-checks a project against the shipped declarations, strict and without skipLibCheck', async () => {
    const config = JSON.parse(await readFile(join(consumer, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: Record<string, unknown>;
    };
    expect(config.compilerOptions).toMatchObject({ strict: true });
    expect(config.compilerOptions.skipLibCheck).toBeUndefined();
    await succeed(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], consumer);
  });

  it('runs the project’s topology test with the test driver from tributary/testing, under any condition', async () => {
    for (const conditions of [[], ['--conditions=source']]) {
      const result = await succeed(
        process.execPath,
        [...conditions, '--test', '--test-reporter=tap'],
        consumer,
      );
      expect(result.stdout).toMatch(/^# pass 1$/m);
      expect(result.stdout).toMatch(/^# fail 0$/m);
    }
  });

  it('runs `tributary describe` and `tributary --help` from node_modules/.bin', async () => {
    const described = await succeed(
      'npx',
      ['--no', '--', 'tributary', 'describe', 'topologies/page-view-counts.ts'],
      consumer,
    );
    expect(described.stdout).toBe(
      pageViewsApp.buildTopology().describe({ applicationId: pageViewsApp.applicationId }).toString(),
    );
    const help = await succeed('npx', ['--no', '--', 'tributary', '--help'], consumer);
    expect(help.stdout).toMatch(/^Usage: tributary <command> \[options\]/);
    expect(help.stdout).toContain('describe');
  });

  it('runs `tributary start` with its defaults, logging readable lines as on a terminal', async () => {
    const endpoint = await freeEndpoint();
    const child = spawn(join(consumer, 'node_modules/.bin/tributary'), ['start', '--http', endpoint], {
      cwd: consumer,
      env: { ...cleanEnvironment(), DATA_DIR: join(work, 'data'), LOG_FORMAT: 'pretty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!output.includes('Tributary is running 1 application: page-view-counts')) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`tributary start did not start (exit code ${child.exitCode}):\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const health = await fetch(`http://${endpoint}/health`);
      expect(health.status).toBe(200);
      // The console ships built: its page and script come from the installed package.
      const page = await fetch(`http://${endpoint}/`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/console/assets/console.js');
      const script = await fetch(`http://${endpoint}/console/assets/console.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toContain('text/javascript');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}worker started {2}applications=\["page-view-counts"\]$/m,
    );
    expect(output).not.toContain('"level":');
    expect(output).not.toMatch(/Warning: /);
  });
});
