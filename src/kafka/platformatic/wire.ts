import type { Base } from '@platformatic/kafka';
import { TributaryError } from '../../errors.ts';
import {
  findCoordinatorV4,
  kGetBootstrapConnection,
  kGetConnection,
  kMetadata,
  type ClusterMetadata,
  type Connection,
} from '@platformatic/kafka';

/** Answers while a coordinator is being elected or loads its state. */
const COORDINATOR_LOADING = ['COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS'];
const COORDINATOR_WAIT_MS = 30_000;

/**
 * What the adapter needs of @platformatic/kafka below its Consumer and Producer: a connection pool
 * (with TLS and SASL), cluster metadata, and connections to a partition's leader or a coordinator,
 * on which the adapter sends the protocol requests it builds itself (group membership, fetches,
 * transactional offset commits). `Base` and its symbol-keyed methods are the library's extension
 * point for this.
 */
export class Wire {
  readonly base: Base;
  /** Awaited before the first request (the TLS check). */
  private readonly ready: () => Promise<void>;

  constructor(base: Base, ready: () => Promise<void> = () => Promise.resolve()) {
    this.base = base;
    this.ready = ready;
  }

  /**
   * The cluster's metadata for the topics. `retries` overrides the client's own (8, about 3 s of
   * backoff), which it spends on an unknown topic too: 0 where an absent topic is an answer.
   */
  async metadata(topics: readonly string[], forceUpdate = false, retries?: number): Promise<ClusterMetadata> {
    await this.ready();
    return new Promise((resolve, reject) =>
      this.base[kMetadata]({ topics: [...topics], forceUpdate, retries }, (error, metadata) =>
        error ? reject(error) : resolve(metadata!),
      ),
    );
  }

  async bootstrap(): Promise<Connection> {
    await this.ready();
    return new Promise((resolve, reject) =>
      this.base[kGetBootstrapConnection]((error, connection) =>
        error ? reject(error) : resolve(connection!),
      ),
    );
  }

  /** A connection to a broker of the cluster, by node id. */
  async node(nodeId: number): Promise<Connection> {
    await this.ready();
    let broker = this.base.currentMetadata?.brokers.get(nodeId);
    if (!broker) broker = (await this.metadata([], true)).brokers.get(nodeId);
    // A partition without a leader (-1) or a broker that left: passes once the cluster has elected one.
    if (!broker)
      throw new TributaryError('TRIB_KAFKA', `broker ${nodeId} is not in the cluster's metadata`, {
        retriable: true,
      });
    return new Promise((resolve, reject) =>
      this.base[kGetConnection](broker, (error, connection) =>
        error ? reject(error) : resolve(connection!),
      ),
    );
  }

  /**
   * The node id of the coordinator of a group (keyType 0) or a transactional id (keyType 1). Waits
   * while the coordinator is not available yet (its internal topic being created on a new cluster).
   */
  async coordinator(keyType: 0 | 1, key: string): Promise<number> {
    const deadline = Date.now() + COORDINATOR_WAIT_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await findCoordinatorV4.api.async(await this.bootstrap(), keyType, [key]);
        const found = response.coordinators.find((c) => c.key === key) ?? response.coordinators[0];
        if (!found) throw new TributaryError('TRIB_KAFKA', `no coordinator for ${key}`, { retriable: true });
        return found.nodeId;
      } catch (error) {
        if (!hasProtocolError(error, ...COORDINATOR_LOADING) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 500)));
      }
    }
  }

  close(): Promise<void> {
    return this.base.close();
  }
}

/**
 * Kafka's error code names (`REBALANCE_IN_PROGRESS`, ...) in an error of the library: a response
 * error aggregates one protocol error per failed entry, a retried operation aggregates its attempts.
 */
export function protocolErrors(error: unknown): string[] {
  const found: string[] = [];
  const visit = (current: unknown, depth: number) => {
    if (!current || typeof current !== 'object' || depth > 6) return;
    const { apiId, errors, cause } = current as { apiId?: unknown; errors?: unknown; cause?: unknown };
    if (typeof apiId === 'string') found.push(apiId);
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
    visit(cause, depth + 1);
  };
  visit(error, 0);
  return found;
}

/** True when the library's error, or one it aggregates, carries one of Kafka's error code names. */
export function hasProtocolError(error: unknown, ...names: string[]): boolean {
  return protocolErrors(error).some((id) => names.includes(id));
}

/** The last error of a retried operation (the library aggregates every attempt's error). */
export function lastAttempt(error: unknown): unknown {
  const { errors, code } = (error ?? {}) as { errors?: unknown[]; code?: unknown };
  return code === 'PLT_KFK_MULTIPLE' && Array.isArray(errors) && errors.length > 0 ? errors.at(-1) : error;
}
