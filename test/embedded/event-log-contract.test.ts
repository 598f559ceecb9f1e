import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedLog } from '../../src/embedded/embedded-log.ts';
import { embeddedEventLog } from '../../src/embedded/event-log.ts';
import { describeEventLogContract } from './event-log-contract.ts';

const directory = mkdtempSync(join(tmpdir(), 'tributary-embedded-contract-'));
let log: EmbeddedLog | undefined;

describeEventLogContract('embedded log', {
  port: () => embeddedEventLog((log = EmbeddedLog.open(directory))),
  patienceMs: 5_000,
  quietMs: 50,
  close: async () => {
    log?.close();
    rmSync(directory, { recursive: true, force: true });
  },
});
