import type { RecordBatch } from '../../kafka/port.ts';
import type { Serde } from '../../serde/serde.ts';
import type { SourceNodeDef } from '../../topology/physical.ts';
import { Topology } from '../../topology/topology.ts';
import type { Logger } from '../../common/logger.ts';

interface Preparing {
  readonly key: Serde<unknown> | undefined;
  readonly value: Serde<unknown> | undefined;
}

/**
 * Runs the source serdes' `prepare` over fetched records (a schema registry serde fetching a writer
 * schema it has not seen), so that deserializing them later, on the synchronous processing path, has
 * what it needs. Only topics whose serdes have `prepare` cost anything.
 */
export class RecordPreparer {
  private readonly byTopic = new Map<string, Preparing>();
  private readonly logger: Logger;

  constructor(sources: readonly SourceNodeDef[], applicationId: string, logger: Logger) {
    this.logger = logger;
    for (const source of sources) {
      const key = source.keySerde.prepare ? source.keySerde : undefined;
      const value = source.valueSerde.prepare ? source.valueSerde : undefined;
      if (!key && !value) continue;
      for (const ref of source.topics)
        this.byTopic.set(Topology.topicName(ref, applicationId), { key, value });
    }
  }

  static forTopology(topology: Topology, applicationId: string, logger: Logger): RecordPreparer {
    const sources = [
      ...[...topology.nodes.values()].filter((n): n is SourceNodeDef => n.kind === 'source'),
      ...[...topology.globalStores.values()].map((g) => g.source),
    ];
    return new RecordPreparer(sources, applicationId, logger);
  }

  get isEmpty(): boolean {
    return this.byTopic.size === 0;
  }

  /**
   * What to wait for before the batch's records can be deserialized, or undefined when nothing is
   * needed. Never rejects: a failed preparation shows up as a deserialization error of the record,
   * which the deserialization handler deals with.
   */
  prepare(batch: Pick<RecordBatch, 'topic' | 'records'>): Promise<void> | undefined {
    const serdes = this.byTopic.get(batch.topic);
    if (!serdes) return undefined;
    let pending: Promise<void>[] | undefined;
    for (const record of batch.records) {
      const context = { topic: batch.topic, headers: record.headers };
      if (record.key !== null && serdes.key) {
        const waiting = serdes.key.prepare!(record.key, { ...context, part: 'key' });
        if (waiting) (pending ??= []).push(waiting);
      }
      if (record.value !== null && serdes.value) {
        const waiting = serdes.value.prepare!(record.value, { ...context, part: 'value' });
        if (waiting) (pending ??= []).push(waiting);
      }
    }
    if (!pending) return undefined;
    return Promise.all(pending).then(
      () => undefined,
      (error: unknown) =>
        this.logger.warn(
          { err: error, topic: batch.topic },
          'preparing fetched records for deserialization failed',
        ),
    );
  }
}
