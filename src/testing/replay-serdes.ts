/**
 * Which serdes turn a topic's records into their JSON form and back during replay: the topic
 * definitions the applications declare come first, then what their topologies read the topic with
 * (sources) or write it with (sinks). Input prefers sources, output prefers sinks: each side as the
 * topology itself sees the bytes. A topic only reached through sinks that choose their topic per record
 * takes those sinks' serdes when they all agree.
 */
import type { TributaryApp } from '../app/define-app.ts';
import type { Serde } from '../serde/serde.ts';
import type { Topology } from '../topology/topology.ts';

export interface TopicSerdes {
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
}

export interface TopicSerdeCatalog {
  forInput(topic: string): TopicSerdes | undefined;
  forOutput(topic: string): TopicSerdes | undefined;
}

export function topicSerdeCatalog(
  topologies: readonly { app: TributaryApp; topology: Topology }[],
): TopicSerdeCatalog {
  const declared = new Map<string, TopicSerdes>();
  const sources = new Map<string, TopicSerdes>();
  const sinks = new Map<string, TopicSerdes>();
  const chosen: TopicSerdes[] = [];
  const first = (map: Map<string, TopicSerdes>, topic: string, serdes: TopicSerdes) => {
    if (!map.has(topic)) map.set(topic, { keySerde: serdes.keySerde, valueSerde: serdes.valueSerde });
  };
  for (const { app, topology } of topologies) {
    for (const topic of app.topics) first(declared, topic.name, topic);
    const sourceNodes = [
      ...topology.nodes.values(),
      ...[...topology.globalStores.values()].map((g) => g.source),
    ];
    for (const node of sourceNodes) {
      if (node.kind === 'source')
        for (const ref of node.topics) if (!ref.internal) first(sources, ref.name, node);
      if (node.kind !== 'sink') continue;
      if (typeof node.topic === 'function') chosen.push(node);
      else if (!node.topic.internal) first(sinks, node.topic.name, node);
    }
  }
  const names = new Set(chosen.map((s) => `${s.keySerde.name}|${s.valueSerde.name}`));
  const fromChosen = names.size === 1 ? chosen[0] : undefined;
  return {
    forInput: (topic) => declared.get(topic) ?? sources.get(topic) ?? sinks.get(topic),
    forOutput: (topic) => declared.get(topic) ?? sinks.get(topic) ?? sources.get(topic) ?? fromChosen,
  };
}
