/**
 * A Mermaid flowchart of a topology description: each sub-topology (and global store) is a subgraph of
 * its processors and stores; topics sit outside, so the sub-topologies they connect are visible.
 */
import type { NodeDescription, TopologyDescriptionJson } from './describe.ts';

/** Mermaid labels are quoted; a double quote inside must be written as an entity. */
function label(text: string): string {
  return `"${text.replace(/"/g, '#quot;')}"`;
}

export function descriptionToMermaid(description: TopologyDescriptionJson): string {
  const lines: string[] = ['flowchart LR'];
  const ids = new Map<string, string>();
  const topicIds = new Map<string, string>();
  const storeIds = new Map<string, string>();
  const edges: string[] = [];
  const classes: Record<'source' | 'processor' | 'sink', string[]> = { source: [], processor: [], sink: [] };

  const nodeId = (name: string) => {
    let id = ids.get(name);
    if (!id) ids.set(name, (id = `n${ids.size}`));
    return id;
  };
  const topicId = (topic: string) => {
    let id = topicIds.get(topic);
    if (!id) topicIds.set(topic, (id = `t${topicIds.size}`));
    return id;
  };
  const storeId = (store: string) => {
    let id = storeIds.get(store);
    if (!id) storeIds.set(store, (id = `s${storeIds.size}`));
    return id;
  };

  const writeNode = (node: NodeDescription, indent: string) => {
    const id = nodeId(node.name);
    classes[node.type].push(id);
    lines.push(`${indent}${id}[${label(node.name)}]`);
    if (node.type === 'source') for (const topic of node.topics) edges.push(`${topicId(topic)} --> ${id}`);
    if (node.type !== 'source')
      for (const parent of node.predecessors) edges.push(`${nodeId(parent)} --> ${id}`);
    if (node.type === 'sink') {
      if (node.topic !== undefined) edges.push(`${id} --> ${topicId(node.topic)}`);
      else {
        const chooser = `x${id}`;
        lines.push(`${indent}${chooser}{{${label(`topic chosen by ${node.topicExtractor}`)}}}`);
        edges.push(`${id} --> ${chooser}`);
      }
    }
    if (node.type === 'processor') for (const store of node.stores) edges.push(`${id} -.- ${storeId(store)}`);
  };
  const writeStores = (stores: Iterable<string>, indent: string) => {
    for (const store of stores) lines.push(`${indent}${storeId(store)}[(${label(store)})]`);
  };

  // A store is drawn inside the subgraph of the sub-topology (or global store) that owns it.
  const globalStoreNames = new Set(description.globalStores.map((g) => g.store));
  for (const sub of description.subtopologies) {
    lines.push(`  subgraph sub${sub.id} [${label(`Sub-topology ${sub.id}`)}]`);
    for (const node of sub.nodes) writeNode(node, '    ');
    const owned = sub.nodes.flatMap((n) => (n.type === 'processor' ? n.stores : []));
    writeStores(new Set(owned.filter((s) => !globalStoreNames.has(s))), '    ');
    lines.push('  end');
  }
  for (const global of description.globalStores) {
    lines.push(`  subgraph sub${global.id} [${label(`Global store ${global.store}`)}]`);
    writeNode(global.source, '    ');
    writeNode(global.processor, '    ');
    writeStores([global.store], '    ');
    lines.push('  end');
  }
  for (const [topic, id] of topicIds) lines.push(`  ${id}([${label(topic)}])`);
  lines.push(...edges.map((e) => `  ${e}`));
  lines.push('  classDef topic fill:#fff4dd,stroke:#b58105');
  lines.push('  classDef store fill:#e3eeff,stroke:#2f5fb3');
  lines.push('  classDef source fill:#e5f6e5,stroke:#2e7d32');
  lines.push('  classDef sink fill:#fbe4e4,stroke:#b23b3b');
  if (topicIds.size > 0) lines.push(`  class ${[...topicIds.values()].join(',')} topic`);
  if (storeIds.size > 0) lines.push(`  class ${[...storeIds.values()].join(',')} store`);
  if (classes.source.length > 0) lines.push(`  class ${classes.source.join(',')} source`);
  if (classes.sink.length > 0) lines.push(`  class ${classes.sink.join(',')} sink`);
  return `${lines.join('\n')}\n`;
}
