import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { isJsonObject } from '../common/json.ts';
import { TributaryError } from '../errors.ts';
import { FramesFile } from './frames-file.ts';
import { encodeFrame } from './record-format.ts';

/**
 * A committed position: the next offset the group reads in a partition, and the metadata string
 * committed with it (absent when none).
 */
export type OffsetEntry = readonly [topic: string, partition: number, offset: number, metadata?: string];

/** Entries of the coordinator file, as JSON in frames. */
type CoordinatorEntry =
  | { readonly k: 'offsets'; readonly group: string; readonly offsets: readonly OffsetEntry[] }
  | {
      readonly k: 'commit';
      readonly txn: number;
      readonly offsets: readonly { group: string; offsets: readonly OffsetEntry[] }[];
    }
  | { readonly k: 'next-txn'; readonly next: number };

/** Rewrite the file once it holds this many bytes more than its live content needs. */
const COMPACT_BYTES = 16 * 1024 * 1024;

/**
 * The group coordinator's and transaction coordinator's durable state in one file: committed group
 * offsets, and the commit decisions of transactions. Writing a transaction's decision is its commit
 * point: a crash after it and before every partition has its marker is completed at the next open.
 * The file is rewritten now and then with only the current offsets.
 */
export class CoordinatorLog {
  private file: FramesFile;
  private readonly offsets = new Map<string, Map<string, OffsetEntry>>();
  /** Transactions decided as committed since the file was last rewritten. */
  readonly committed = new Set<number>();
  /** The smallest transaction id never handed out, as far as this file knows. */
  nextTxnId = 1;
  private liveBytes = 0;
  readonly truncatedBytes: number;

  constructor(path: string, readOnly: boolean) {
    this.file = FramesFile.open(path, readOnly);
    this.truncatedBytes = this.file.scan((buffer, bodyStart, bodyEnd) => {
      const json: unknown = JSON.parse(buffer.toString('utf8', bodyStart, bodyEnd));
      this.apply(decodeEntry(json, path));
    });
  }

  /** The committed offsets of a group (next offset per `topic`/partition). */
  groupOffsets(group: string): ReadonlyMap<string, OffsetEntry> {
    return this.offsets.get(group) ?? new Map();
  }

  committedOffset(group: string, topic: string, partition: number): number | undefined {
    return this.offsets.get(group)?.get(offsetKey(topic, partition))?.[2];
  }

  commitOffsets(group: string, offsets: readonly OffsetEntry[]): void {
    if (offsets.length === 0) return;
    this.write({ k: 'offsets', group, offsets });
  }

  /** Records a transaction's commit decision, with the group offsets it commits. */
  commitTransaction(
    txn: number,
    offsets: readonly { group: string; offsets: readonly OffsetEntry[] }[],
  ): void {
    this.write({ k: 'commit', txn, offsets });
  }

  /** Forgets the offsets of a deleted topic (the next rewrite drops them from the file). */
  dropTopic(topic: string): void {
    for (const group of this.offsets.values())
      for (const [key, entry] of group) if (entry[0] === topic) group.delete(key);
  }

  /** Rewrites the file when it has grown well beyond its live content; call only when no decision is still needed. */
  maybeCompact(): void {
    if (!this.file.readOnly && this.file.size - this.liveBytes > COMPACT_BYTES) this.compact();
  }

  /** Rewrites the file with the current offsets only (call when no decision is still needed). */
  compact(): void {
    const entries: CoordinatorEntry[] = [{ k: 'next-txn', next: this.nextTxnId }];
    for (const [group, offsets] of this.offsets)
      if (offsets.size > 0) entries.push({ k: 'offsets', group, offsets: [...offsets.values()] });
    const frames = Buffer.concat(entries.map((e) => encodeFrame(Buffer.from(JSON.stringify(e), 'utf8'))));
    const path = this.file.path;
    const temporary = `${path}.rewrite`;
    writeFileSync(temporary, frames);
    this.file.close();
    renameSync(temporary, path);
    this.file = FramesFile.open(path, false);
    this.committed.clear();
    this.liveBytes = frames.length;
  }

  close(): void {
    this.file.close();
    rmSync(`${this.file.path}.rewrite`, { force: true });
  }

  private write(entry: CoordinatorEntry): void {
    const frame = encodeFrame(Buffer.from(JSON.stringify(entry), 'utf8'));
    this.file.append(frame);
    this.apply(entry);
  }

  private apply(entry: CoordinatorEntry): void {
    switch (entry.k) {
      case 'offsets':
        this.applyOffsets(entry.group, entry.offsets);
        break;
      case 'commit':
        this.committed.add(entry.txn);
        if (entry.txn >= this.nextTxnId) this.nextTxnId = entry.txn + 1;
        for (const { group, offsets } of entry.offsets) this.applyOffsets(group, offsets);
        break;
      case 'next-txn':
        if (entry.next > this.nextTxnId) this.nextTxnId = entry.next;
        break;
    }
  }

  private applyOffsets(group: string, offsets: readonly OffsetEntry[]): void {
    let map = this.offsets.get(group);
    if (!map) this.offsets.set(group, (map = new Map()));
    for (const entry of offsets) map.set(offsetKey(entry[0], entry[1]), entry);
  }
}

/** An entry read back from the coordinator file, checked field by field. */
function decodeEntry(json: unknown, path: string): CoordinatorEntry {
  const damaged = (what: string) =>
    new TributaryError('TRIB_EMBEDDED_LOG', `${path}: a coordinator entry ${what}`);
  if (!isJsonObject(json)) throw damaged('is not an object');
  switch (json.k) {
    case 'offsets': {
      const { group, offsets } = json;
      if (typeof group !== 'string') throw damaged('of kind "offsets" has no "group"');
      return { k: 'offsets', group, offsets: offsetEntries(offsets, damaged) };
    }
    case 'commit': {
      const { txn, offsets } = json;
      if (typeof txn !== 'number') throw damaged('of kind "commit" has no "txn"');
      if (!Array.isArray(offsets)) throw damaged(`of transaction ${txn} has no "offsets" list`);
      return {
        k: 'commit',
        txn,
        offsets: offsets.map((groupOffsets: unknown) => {
          if (!isJsonObject(groupOffsets) || typeof groupOffsets.group !== 'string')
            throw damaged(`of transaction ${txn} commits offsets of no "group"`);
          return { group: groupOffsets.group, offsets: offsetEntries(groupOffsets.offsets, damaged) };
        }),
      };
    }
    case 'next-txn':
      if (typeof json.next !== 'number') throw damaged('of kind "next-txn" has no "next"');
      return { k: 'next-txn', next: json.next };
    default:
      throw damaged(`has the unknown kind ${JSON.stringify(json.k)}`);
  }
}

function offsetEntries(value: unknown, damaged: (what: string) => Error): OffsetEntry[] {
  if (!Array.isArray(value)) throw damaged('has no "offsets" list');
  return value.map((item: unknown): OffsetEntry => {
    const fields: unknown[] = Array.isArray(item) ? item : [];
    const [topic, partition, offset, metadata] = fields;
    if (typeof topic !== 'string' || typeof partition !== 'number' || typeof offset !== 'number')
      throw damaged(`has an offset that is not [topic, partition, offset]: ${JSON.stringify(item)}`);
    // JSON writes an absent metadata in the list as null.
    return typeof metadata === 'string' ? [topic, partition, offset, metadata] : [topic, partition, offset];
  });
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
