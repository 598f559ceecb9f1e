import type { CoordinatorLog, OffsetEntry } from './coordinator-log.ts';
import { offsetKey } from './coordinator-log.ts';
import type { PartitionLog } from './partition-log.ts';
import { EntryKind } from './record-format.ts';

/** An open transaction: the partitions it wrote to and the group offsets it will commit. */
export class Transaction {
  readonly id: number;
  readonly partitions = new Set<PartitionLog>();
  readonly offsets = new Map<string, Map<string, OffsetEntry>>();

  constructor(id: number) {
    this.id = id;
  }

  addOffsets(group: string, entries: readonly OffsetEntry[]): void {
    let map = this.offsets.get(group);
    if (!map) this.offsets.set(group, (map = new Map()));
    for (const entry of entries) map.set(offsetKey(entry[0], entry[1]), entry);
  }
}

/** What the coordinator needs from a transactional producer to fence it. */
export interface FenceableProducer {
  /** A newer producer took the id: abort what is open, refuse everything from now on. */
  fence(): void;
}

/**
 * Hands out transaction ids, fences producers by transactional id, and commits or aborts
 * transactions. A commit first records its decision (with the offsets) in the coordinator file —
 * the commit point — then writes a commit marker to every partition it touched; an abort writes abort
 * markers. All of it happens in one synchronous step, so readers never see half a commit.
 */
export class TransactionCoordinator {
  private readonly coordinator: CoordinatorLog;
  private readonly holders = new Map<string, FenceableProducer>();
  private nextId: number;

  constructor(coordinator: CoordinatorLog, nextId: number) {
    this.coordinator = coordinator;
    this.nextId = nextId;
  }

  /** Registers the producer as the holder of a transactional id, fencing the previous holder. */
  claim(transactionalId: string, producer: FenceableProducer): void {
    const previous = this.holders.get(transactionalId);
    this.holders.set(transactionalId, producer);
    previous?.fence();
  }

  isHolder(transactionalId: string, producer: FenceableProducer): boolean {
    return this.holders.get(transactionalId) === producer;
  }

  release(transactionalId: string, producer: FenceableProducer): void {
    if (this.holders.get(transactionalId) === producer) this.holders.delete(transactionalId);
  }

  begin(): Transaction {
    const transaction = new Transaction(this.nextId++);
    this.coordinator.nextTxnId = this.nextId;
    return transaction;
  }

  commit(transaction: Transaction): void {
    const offsets = [...transaction.offsets].map(([group, map]) => ({ group, offsets: [...map.values()] }));
    // Nothing written to a partition and no offsets: nothing to make visible.
    if (transaction.partitions.size === 0 && offsets.length === 0) return;
    this.coordinator.commitTransaction(transaction.id, offsets);
    for (const log of transaction.partitions) log.appendMarker(EntryKind.commit, transaction.id);
    this.coordinator.maybeCompact();
  }

  abort(transaction: Transaction): void {
    for (const log of transaction.partitions) log.appendMarker(EntryKind.abort, transaction.id);
  }
}
