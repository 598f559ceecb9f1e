import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Serdes, StreamsBuilder } from 'tributary';
import { EmbeddedLog } from '../../../src/embedded/embedded-log.ts';
import { embeddedEventLog } from '../../../src/embedded/event-log.ts';
import { createLogger } from '../../../src/runtime/logging.ts';
import { loadWorkerConfig } from '../../../src/runtime/worker/config.ts';
import { Worker } from '../../../src/worker/worker.ts';
import { repeatedKeys } from '../../support/log-lines.ts';

const string = Serdes.String();
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a worker's JSON log lines", () => {
  it('name the level, and the application and the task once each, on a line the task logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-log-lines-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const log = EmbeddedLog.open(join(dir, 'log'));
    cleanups.push(() => log.close());
    log.createTopic('events', 1);
    log.createTopic('counts', 1);
    const builder = new StreamsBuilder();
    builder
      .stream('events', { keySerde: string, valueSerde: string })
      .groupByKey()
      .count()
      .toStream()
      .to('counts', { keySerde: string, valueSerde: Serdes.Long() });

    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      format: 'json',
      destination: { write: (l) => lines.push(l) },
    });
    const config = loadWorkerConfig({ flags: { 'state-dir': join(dir, 'state') }, env: {} });
    const worker = new Worker(
      [{ applicationId: 'counter', topology: builder.build() }],
      config,
      embeddedEventLog(log),
      logger,
    );
    cleanups.push(() => worker.stop());
    await worker.start();
    // A record without a key cannot be counted: the task drops it and says so.
    await embeddedEventLog(log)
      .producer({})
      .send([
        { topic: 'events', partition: 0, key: null, value: string.serialize('x'), timestamp: 1, headers: {} },
      ]);
    const skipped = await vi.waitFor(
      () => {
        const line = lines.find((l) => l.includes('skipping record'));
        if (!line) throw new Error('no "skipping record" line yet');
        return line;
      },
      { timeout: 10_000, interval: 20 },
    );

    expect(JSON.parse(skipped)).toMatchObject({ level: 40, levelName: 'warn', app: 'counter', task: '0_0' });
    for (const line of lines) expect(repeatedKeys(line), line).toEqual([]);
    expect(lines.map((l) => (JSON.parse(l) as { levelName: string }).levelName)).toContain('info');
  });
});
