import {
  globalTableProcessor,
  tableFilterProcessor,
  tableMapValuesProcessor,
  tableTransformValuesProcessor,
  transformValuesValueGetter,
  tableSourceProcessor,
  tableToStreamProcessor,
} from '../../processor/ops/table.ts';
import {
  derivedValueGetter,
  storeValueGetter,
  versionedStoreValueGetter,
} from '../../processor/ops/value-getter.ts';
import type { StoreIr } from '../ir.ts';
import type { CompileContext, OpCompilers } from './context.ts';
import { addSimpleProcessor } from './stateless.ts';

/**
 * Adds a table's store, plain (timestamped) or versioned, and makes it the table's value getter. A
 * versioned store keeps its own changelog: a topic holding only the latest writes could not restore
 * its history.
 */
export function materializeTable(
  context: CompileContext,
  id: number,
  store: StoreIr,
  options: { sourceTopic?: string; cacheable?: boolean } = {},
): string {
  const { sourceTopic, cacheable } = options;
  if (store.historyRetentionMs !== undefined) {
    context.addVersionedStore(store, store.historyRetentionMs);
    context.setValueGetter(id, versionedStoreValueGetter(store.name, store.historyRetentionMs));
  } else {
    context.addKeyValueStore(store, { timestamped: true, sourceTopic, cacheable: cacheable === true });
    context.setValueGetter(id, storeValueGetter(store.name));
  }
  return store.name;
}

/**
 * A derived table's store as its processor needs it (undefined: the table is not materialized). It
 * caches when named: Kafka Streams materializes (and so caches) a filter's, mapValues' or
 * transformValues' result only when it is queryable.
 */
function derivedStore(context: CompileContext, id: number, store: StoreIr | undefined) {
  if (!store) return undefined;
  return {
    name: materializeTable(context, id, store, { cacheable: !store.generated }),
    versioned: store.historyRetentionMs !== undefined,
  };
}

export const tableCompilers: OpCompilers = {
  'table-source': (node, context) => {
    const topic = context.externalTopic(node.topic);
    context.builder.addSource({
      name: node.sourceName,
      topics: [{ name: topic, internal: false }],
      keySerde: context.keySerde(node.keySerde),
      valueSerde: context.valueSerde(node.valueSerde),
      timestampExtractor: node.timestampExtractor,
    });
    // The topic already holds every change of the table: it serves as the store's changelog.
    const store = materializeTable(
      context,
      node.id,
      {
        ...node.store,
        keySerde: node.store.keySerde ?? node.keySerde,
        valueSerde: node.store.valueSerde ?? node.valueSerde,
      },
      // Tributary always keeps a source table's store; Kafka Streams keeps (and caches) it only when the
      // table is materialized: named, looked up by a join, or made to send old values.
      {
        sourceTopic: node.store.logging ? topic : undefined,
        cacheable: context.oldValues.materializes(node.id),
      },
    );
    context.builder.addProcessor({
      name: node.name,
      parents: [node.sourceName],
      supplier: tableSourceProcessor(
        store,
        context.oldValues.sends(node.id),
        context.versioned.isVersioned(node.id),
      ),
      stores: [store],
    });
    context.setOutput(node.id, node.name);
    context.setTopics(node.id, [topic]);
  },
  'global-table': (node, context) => {
    const topic = context.externalTopic(node.topic);
    const keySerde = context.keySerde(node.store.keySerde ?? node.keySerde);
    const valueSerde = context.valueSerde(node.store.valueSerde ?? node.valueSerde);
    context.builder.addGlobalStore({
      store: {
        kind: 'timestamped-key-value',
        name: node.store.name,
        keySerde,
        valueSerde,
        backend: node.store.backend,
        logging: { enabled: true, sourceTopic: topic },
      },
      source: {
        kind: 'source',
        name: node.sourceName,
        topics: [{ name: topic, internal: false }],
        keySerde: context.keySerde(node.keySerde),
        valueSerde: context.valueSerde(node.valueSerde),
        timestampExtractor: undefined,
      },
      processor: {
        kind: 'processor',
        name: node.name,
        parents: [node.sourceName],
        supplier: globalTableProcessor(node.store.name),
        stores: [node.store.name],
      },
    });
  },
  'to-table': (node, context) => {
    const store = materializeTable(context, node.id, node.store, {
      cacheable: context.oldValues.materializes(node.id),
    });
    addSimpleProcessor(
      node,
      context,
      tableSourceProcessor(store, context.oldValues.sends(node.id), context.versioned.isVersioned(node.id)),
      [store],
    );
  },
  'table-filter': (node, context) => {
    const store = derivedStore(context, node.id, node.store);
    if (!store) {
      const { predicate, negate } = node;
      context.setValueGetter(
        node.id,
        derivedValueGetter(context.valueGetter(node.parents[0]), (key, v) =>
          Boolean(predicate(key, v.value)) !== negate ? v : undefined,
        ),
      );
    }
    addSimpleProcessor(
      node,
      context,
      tableFilterProcessor(
        node.predicate,
        node.negate,
        store,
        context.oldValues.sends(node.id),
        context.versioned.isVersioned(node.parents[0]),
      ),
      store ? [store.name] : [],
    );
  },
  'table-map-values': (node, context) => {
    const store = derivedStore(context, node.id, node.store);
    if (!store) {
      const { mapper } = node;
      context.setValueGetter(
        node.id,
        derivedValueGetter(context.valueGetter(node.parents[0]), (key, v) => ({
          value: mapper(v.value, key),
          timestamp: v.timestamp,
        })),
      );
    }
    addSimpleProcessor(
      node,
      context,
      tableMapValuesProcessor(node.mapper, store, context.oldValues.sends(node.id)),
      store ? [store.name] : [],
    );
  },
  'table-transform-values': (node, context) => {
    const store = derivedStore(context, node.id, node.store);
    const supplier = node.supplier;
    if (!store)
      context.setValueGetter(
        node.id,
        transformValuesValueGetter(node.name, context.valueGetter(node.parents[0]), supplier, node.stores),
      );
    addSimpleProcessor(
      node,
      context,
      tableTransformValuesProcessor(node.name, supplier, store, context.oldValues.sends(node.id)),
      [...(store ? [store.name] : []), ...node.stores],
    );
  },
  'table-to-stream': (node, context) => addSimpleProcessor(node, context, tableToStreamProcessor()),
};
