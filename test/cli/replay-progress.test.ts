/** `tributary replay` of a large recording shows its progress: redrawn on a terminal, plain lines elsewhere. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RECORDS = 5_000;
let dir: string;
let recording: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-replay-progress-'));
  recording = join(dir, 'large.jsonl');
  const lines = Array.from({ length: RECORDS }, (_, i) =>
    JSON.stringify({
      topic: 'orders',
      key: `o${i}`,
      value: { id: `o${i}`, quantity: 1, price: i },
      timestamp: i,
    }),
  );
  writeFileSync(recording, `${lines.join('\n')}\n`);
  // Report at every chance, so a replay of a few thousand records shows several.
  process.env.TRIBUTARY_PROGRESS_INTERVAL_MS = '1';
});

afterAll(() => {
  delete process.env.TRIBUTARY_PROGRESS_INTERVAL_MS;
  rmSync(dir, { recursive: true, force: true });
});

async function replayOn(isTTY: boolean) {
  let stdout = '';
  let stderr = '';
  const code = await main(['replay', 'test/cli/fixtures/orders-app.ts', '--input', recording], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { isTTY, write: (text: string) => (stderr += text) },
    cwd: root,
  });
  return { code, stdout, stderr };
}

describe('tributary replay progress', () => {
  it('prints plain progress lines when standard error is not a terminal', async () => {
    const run = await replayOn(false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(RECORDS);
    expect(run.stderr).not.toContain('\r');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^replay: 1,000 of 5,000 input records \(20%\), [\d,]+\/s, (about .+ left|time left unknown)$/,
    );
    expect(lines.at(-1)).toMatch(/^replay: 5,000 input records in .+ \([\d,]+\/s\)$/);
  });

  it('redraws one line in place on a terminal', async () => {
    const run = await replayOn(true);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^\rreplay: 1,000 of 5,000 input records \(20%\)/);
    expect(run.stderr.split('\n')).toHaveLength(2);
  });
});
