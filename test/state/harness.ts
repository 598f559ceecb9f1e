import { toOffset } from '../../src/common/offset.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreBackend, StoreSpec } from '../../src/state/api.ts';
import type { ChangelogRecord, KeyValueBytesStore } from '../../src/state/bytes.ts';
import { ChangeLogger } from '../../src/state/change-logger.ts';
import { managedKeyValueStore } from '../../src/state/managed/key-value.ts';
import { managedVersionedStore } from '../../src/state/managed/versioned.ts';
import { managedSessionStore } from '../../src/state/managed/session.ts';
import { managedWindowStore } from '../../src/state/managed/window.ts';
import { openBytesStore, type ManagedStore } from '../../src/state/managed-store.ts';

export const backends: StoreBackend[] = ['memory', 'leveldb'];

export interface Opened<S> {
  readonly managed: ManagedStore;
  readonly store: S;
  readonly bytes: KeyValueBytesStore;
}

/**
 * Opens stores the way a task does, but keeps hold of the bytes store underneath so tests can look at
 * it, and of a clock standing for the timestamp of the record being processed.
 */
export class StoreHarness {
  /** What `now()` answers: the timestamp stamped on changelog records. */
  time = 0;
  private readonly directories: string[] = [];
  private readonly open: ManagedStore[] = [];

  directory(): string {
    const directory = mkdtempSync(join(tmpdir(), 'tributary-state-'));
    this.directories.push(directory);
    return directory;
  }

  async openStore<S>(spec: StoreSpec, directory = this.directory()): Promise<Opened<S>> {
    const bytes = await openBytesStore(spec, directory);
    const logger = spec.logging.enabled ? new ChangeLogger() : undefined;
    const now = () => this.time;
    const managed =
      spec.kind === 'window'
        ? managedWindowStore(spec, bytes, logger, now)
        : spec.kind === 'session'
          ? managedSessionStore(spec, bytes, logger, now)
          : spec.kind === 'versioned-key-value'
            ? managedVersionedStore(spec, bytes, logger)
            : managedKeyValueStore(spec, bytes, logger, now);
    this.open.push(managed);
    return { managed, store: managed.store as S, bytes };
  }

  /** A fresh store of the same spec, in a new directory, restored from changelog records. */
  async restored<S>(spec: StoreSpec, records: ChangelogRecord[]): Promise<Opened<S>> {
    const opened = await this.openStore<S>(spec);
    opened.managed.restore(records);
    return opened;
  }

  /**
   * The store as it comes back after a restart: LevelDB stores reopened from their directory after a
   * commit, in-memory stores rebuilt from the changelog (all they have).
   */
  async reopen<S>(
    spec: StoreSpec,
    opened: Opened<unknown>,
    directory: string,
    changelog: ChangelogRecord[],
  ): Promise<Opened<S>> {
    await opened.managed.commit(toOffset(changelog.length));
    await opened.managed.close();
    if (spec.backend === 'leveldb') return this.openStore<S>(spec, directory);
    return this.restored<S>(spec, changelog);
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.open.map((store) => store.close()));
    this.open.length = 0;
    for (const directory of this.directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  }
}

/** The bytes of a UTF-8 string followed by big-endian integers of the given byte widths, for expected changelog keys. */
export function keyBytes(key: string, ...parts: [number, 4 | 8][]): Uint8Array {
  const head = Buffer.from(key, 'utf8');
  const out = Buffer.alloc(head.length + parts.reduce((n, [, width]) => n + width, 0));
  head.copy(out);
  let offset = head.length;
  for (const [value, width] of parts) {
    if (width === 8) out.writeBigInt64BE(BigInt(value), offset);
    else out.writeInt32BE(value, offset);
    offset += width;
  }
  return new Uint8Array(out);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A changelog record with its key in hex and its value as text, for readable comparisons. */
export function plain(record: ChangelogRecord): { key: string; value: string | null; timestamp: number } {
  return {
    key: hex(record.key),
    value: record.value === null ? null : Buffer.from(record.value).toString(),
    timestamp: record.timestamp,
  };
}
