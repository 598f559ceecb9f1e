import { TopologyError } from '../errors.ts';

import type { KStream, Predicate } from './kstream.ts';

/**
 * The branches of `KStream.split()`. Each record goes to the first branch whose predicate holds; records
 * that match none go to the default branch, or are dropped when there is none. Branch names are the
 * split's name followed by the branch name, as in Kafka Streams (`split({ name: 'orders-' })`).
 *
 * @example
 * ```ts
 * const { valid, invalid } = orders
 *   .split({ name: 'orders-' })
 *   .branch('valid', (_id, order) => order.quantity > 0)
 *   .defaultBranch('invalid');
 * ```
 */
export class BranchedKStream<K, V, Branches extends Record<string, KStream<K, V>> = Record<never, never>> {
  private readonly parent: KStream<K, V>;
  private readonly splitName: string;
  private readonly branches: { name: string; predicate: Predicate<K, V> | undefined }[] = [];
  private done = false;

  /** @internal */
  constructor(parent: KStream<K, V>, splitName: string) {
    this.parent = parent;
    this.splitName = splitName;
  }

  /**
   * Adds a branch: records for which the predicate holds (and no earlier branch's did) go to it. The
   * branch's stream is returned by name when the split ends.
   *
   * @example
   * ```ts
   * orders.split().branch('jumpers', (_id, o) => o.product === 'JUMPERS').noDefaultBranch();
   * ```
   */
  branch<N extends string>(
    name: N,
    predicate: Predicate<K, V>,
  ): BranchedKStream<K, V, Branches & Record<N, KStream<K, V>>> {
    this.assertOpen();
    if (this.branches.some((b) => b.name === name))
      throw new TopologyError(`split "${this.splitName}": branch "${name}" is defined twice`);
    this.branches.push({ name, predicate });
    return this as unknown as BranchedKStream<K, V, Branches & Record<N, KStream<K, V>>>;
  }

  /**
   * Ends the split with a branch for every record that matched no predicate, and returns the branches by name.
   *
   * @example
   * ```ts
   * const { big, rest } = orders.split().branch('big', isBig).defaultBranch('rest');
   * ```
   */
  defaultBranch<N extends string = 'default'>(name?: N): Branches & Record<N, KStream<K, V>> {
    this.assertOpen();
    const branchName = (name ?? 'default') as N;
    if (this.branches.some((b) => b.name === branchName))
      throw new TopologyError(`split "${this.splitName}": branch "${branchName}" is defined twice`);
    this.branches.push({ name: branchName, predicate: undefined });
    return this.finish() as Branches & Record<N, KStream<K, V>>;
  }

  /**
   * Ends the split and returns the branches by name; records that matched no predicate are dropped.
   *
   * @example
   * ```ts
   * const { paid } = orders.split().branch('paid', (_id, o) => o.state === 'CONFIRMED').noDefaultBranch();
   * ```
   */
  noDefaultBranch(): Branches {
    this.assertOpen();
    return this.finish() as Branches;
  }

  private finish(): Record<string, KStream<K, V>> {
    this.done = true;
    const graph = this.parent.context.graph;
    const split = graph.add({
      op: 'split',
      name: this.splitName,
      parents: [this.parent.nodeId],
      branches: this.branches.map((b) => ({
        childName: `${this.splitName}${b.name}`,
        predicate: b.predicate,
      })),
    });
    const result: Record<string, KStream<K, V>> = {};
    for (const b of this.branches) {
      const child = graph.add({ op: 'branch', name: `${this.splitName}${b.name}`, parents: [split.id] });
      result[b.name] = this.parent.derived(child.id);
    }
    return result;
  }

  private assertOpen(): void {
    if (this.done) throw new TopologyError(`split "${this.splitName}" is already finished`);
  }
}
