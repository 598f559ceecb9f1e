import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { named, topologyToJson, StreamsBuilder } from 'tributary';
import { runProcess, type ProcessRun } from '../support/run-process.ts';
import bigOrdersApp from './fixtures/big-orders-app.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = 'test/cli/fixtures';
const apps = [`${fixtures}/orders-app.ts`, `${fixtures}/big-orders-app.ts`];

/** Runs `node bin/tributary.js ...` from the repository root, as a user in a checkout would. */
function tributary(...args: string[]): Promise<ProcessRun> {
  return runProcess(process.execPath, ['bin/tributary.js', ...args], { cwd: root });
}

// Every test starts several `tributary` processes at once, each loading the TypeScript sources: on two
// loaded cores that alone can take tens of seconds. The assertions are about output and exit codes,
// not speed.
vi.setConfig({ testTimeout: 90_000 });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-cli-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each test spawns its own processes and files: they can run side by side.
describe.concurrent('tributary', () => {
  it('lists its commands, and refuses unknown ones', async () => {
    const [help, none, unknown] = await Promise.all([
      tributary('--help'),
      tributary(),
      tributary('frobnicate'),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tributary <command> \[options\]/);
    expect(help.stdout).toMatch(/\n {2}describe +print a topology/);
    expect(help.stdout).toMatch(/\n {2}diff +compare two versions/);
    expect(help.stdout).toMatch(/\n {2}record +capture records from live topics/);
    expect(help.stdout).toMatch(/\n {2}replay +run recorded input/);
    expect(help.stdout).toMatch(/\n {2}run +run topologies as long-running workers/);
    expect(help.stdout).toMatch(/\n {2}tail +print the records of a topic as JSON lines/);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: tributary <command>');
    expect(unknown.code).toBe(2);
    // Every command is listed; the list grows as commands are added.
    const listed = /^tributary: unknown command "frobnicate"; commands: ([a-z, -]+)\n$/.exec(
      unknown.stderr,
    )?.[1];
    expect(listed?.split(', ')).toEqual(expect.arrayContaining(['describe', 'diff', 'replay', 'run']));
  });
});

describe.concurrent('tributary replay', () => {
  it('runs two applications that feed each other and prints what they write, in order', async () => {
    const run = await tributary('replay', ...apps, '--input', `${fixtures}/recording.jsonl`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(await readFile(join(root, fixtures, 'golden.jsonl'), 'utf8'));
    // App A's output to "totals" is followed by what app B makes of it, before the next input record.
    expect(
      run.stdout
        .split('\n')
        .slice(0, 4)
        .map((l) => (l ? JSON.parse(l).topic : '')),
    ).toEqual(['totals', 'totals', 'big-orders', 'latest-by-size']);
  });

  it('passes --expect when the output matches the golden file', async () => {
    const run = await tributary(
      'replay',
      ...apps,
      '--input',
      `${fixtures}/recording.jsonl`,
      '--expect',
      `${fixtures}/golden.jsonl`,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`output matches ${fixtures}/golden.jsonl (7 records)\n`);
  });

  it('fails --expect with a readable diff when the output differs', async () => {
    const golden = (await readFile(join(root, fixtures, 'golden.jsonl'), 'utf8')).split('\n');
    golden[2] = golden[2]!.replace('"value":1500', '"value":1499');
    const file = join(dir, 'wrong-golden.jsonl');
    await writeFile(file, golden.slice(0, 5).join('\n'));
    const run = await tributary(
      'replay',
      ...apps,
      '--input',
      `${fixtures}/recording.jsonl`,
      '--expect',
      file,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `output does not match ${file}: expected 5 records, got 7\n` +
        `first difference at record 3 (${file} line 3):\n` +
        '  expected: {"topic":"big-orders","partition":0,"key":"o3","value":1499,"timestamp":1700000002000}\n' +
        '  actual:   {"topic":"big-orders","partition":0,"key":"o3","value":1500,"timestamp":1700000002000}\n' +
        '  differs in: value\n',
    );
  });

  it('writes the golden file with --update and uses the partitions asked for', async () => {
    const file = join(dir, 'new-golden.jsonl');
    const run = await tributary(
      'replay',
      ...apps,
      '--input',
      `${fixtures}/recording.jsonl`,
      '--expect',
      file,
      '--update',
      '--partitions',
      '3',
      '--partitions',
      'totals=2',
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`wrote 7 records to ${file}\n`);
    const records = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { topic: string; partition: number });
    expect(Math.max(...records.filter((r) => r.topic === 'totals').map((r) => r.partition))).toBeLessThan(2);
    expect(records.some((r) => r.topic === 'big-orders' && r.partition === 2)).toBe(true);
  });

  it('names the file, line and field of bad input', async () => {
    const file = join(dir, 'bad.jsonl');
    await writeFile(
      file,
      '{"topic":"orders","key":"o1","value":{"id":"o1","quantity":1,"price":1},"timestamp":1}\n' +
        '{"topic":"orders","key":"o2","value":{"id":"o2","quantity":1,"price":1},"timestamp":-5}\n',
    );
    const run = await tributary('replay', ...apps, '--input', file);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `tributary replay: ${file}:2: field "timestamp": must be milliseconds since the epoch (a non-negative integer), got -5\n`,
    );
  });

  it('explains usage mistakes', async () => {
    const [missing, unknownOption, badPartitions, notAnApp, noFile, help] = await Promise.all([
      tributary('replay', ...apps),
      tributary('replay', ...apps, '--inptu', 'x'),
      tributary('replay', ...apps, '--input', 'x', '--partitions', 'totals=0'),
      tributary('replay', `${fixtures}/recording.jsonl`, '--input', 'x'),
      tributary('replay', `${fixtures}/missing.ts`, '--input', 'x'),
      tributary('replay', '--help'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'tributary replay: --input <recording.jsonl> is required\nRun "tributary replay --help" for usage.\n',
    );
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("Unknown option '--inptu'");
    expect(badPartitions.stderr).toContain('--partitions totals=0: expected a positive whole number');
    expect(notAnApp.stderr).toContain('a topology file is a .ts or .js module');
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain(`${fixtures}/missing.ts: no such file`);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tributary replay <topology files\.\.\.> --input <recording\.jsonl>/);
  });
});

describe.concurrent('tributary describe', () => {
  it('prints the text, JSON and Mermaid forms of a topology file, with the app’s internal topic names', async () => {
    const expected = bigOrdersApp.buildTopology().describe({ applicationId: 'big-orders-app' });
    const [text, json, mermaid, bad] = await Promise.all([
      tributary('describe', `${fixtures}/big-orders-app.ts`),
      tributary('describe', `${fixtures}/big-orders-app.ts`, '--format', 'json'),
      tributary('describe', `${fixtures}/big-orders-app.ts`, '-f', 'mermaid'),
      tributary('describe', `${fixtures}/big-orders-app.ts`, '--format', 'svg'),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(expected.toString());
    expect(text.stdout).toContain('big-orders-app-KSTREAM-REPARTITION-0000000006-repartition');
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(expected.toJSON())));
    expect(mermaid.stdout).toBe(expected.toMermaid());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be one of text, json, mermaid, got "svg"');
  });

  it('describes a topology as data without the functions it names', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream('in')
      .filter(named('keep', () => true))
      .to('out');
    const file = join(dir, 'topology.json');
    await writeFile(file, JSON.stringify(topologyToJson(builder, { applicationId: 'data-app' })));
    const run = await tributary('describe', file);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(builder.build().describe().toString());
  });

  it('names what a topology file imports and cannot be found, and the file importing it', async () => {
    await writeFile(join(dir, 'helpers.ts'), "export { missing } from './not-written.ts';\n");
    await writeFile(join(dir, 'needs-package.ts'), "import 'no-such-package-anywhere';\n");
    await writeFile(
      join(dir, 'needs-module.ts'),
      "import { missing } from './helpers.ts';\nconsole.log(missing);\n",
    );
    const [pkg, module] = await Promise.all([
      tributary('describe', join(dir, 'needs-package.ts')),
      tributary('describe', join(dir, 'needs-module.ts')),
    ]);
    expect(pkg.code).toBe(2);
    expect(pkg.stderr).not.toContain('no such file');
    expect(pkg.stderr).toContain(
      `cannot load topology file ${join(dir, 'needs-package.ts')}: Cannot find package 'no-such-package-anywhere' imported from ${join(dir, 'needs-package.ts')} (is the package installed?`,
    );
    expect(module.code).toBe(2);
    expect(module.stderr).toContain(
      `Cannot find module '${join(dir, 'not-written.ts')}' imported from ${join(dir, 'helpers.ts')}`,
    );
  });
});

describe.concurrent('tributary diff', () => {
  it('exits 0 when nothing breaks and 1 with the breaking changes listed', async () => {
    const saved = join(dir, 'saved.json');
    const current = bigOrdersApp.buildTopology().describe({ applicationId: 'big-orders-app' }).toJSON();
    await writeFile(saved, JSON.stringify(current));
    const same = await tributary('diff', saved, `${fixtures}/big-orders-app.ts`);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('No changes.\n');

    const renamed = join(dir, 'renamed.json');
    await writeFile(renamed, JSON.stringify(current).replaceAll('latest-by-size', 'latest-by-size-v2'));
    const run = await tributary('diff', `${fixtures}/big-orders-app.ts`, renamed);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Not compatible: 1 breaking change\.\n/);
    expect(run.stdout).toContain('store "latest-by-size" is now "latest-by-size-v2"');
    const json = await tributary('diff', `${fixtures}/big-orders-app.ts`, renamed, '--format', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      compatible: false,
      breaking: [{ kind: 'store-renamed' }],
    });
    const usage = await tributary('diff', saved);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('expected two files: <before> <after>');
  });
});
