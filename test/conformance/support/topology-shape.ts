/**
 * Compares topologies by what Kafka Streams' naming tests pin down: which processors exist, with which
 * stores, reading which topics or processors, and which topics the sinks write. Both sides are read
 * from the text of `describe()` (Kafka Streams' layout, which Tributary prints too), with three
 * differences of bookkeeping taken out:
 *
 * - Generated names carry a number from a counter; Kafka Streams also advances it for operations given
 *   a name and for the nodes of a repartition step, and numbers a plain aggregation's store before its
 *   processor; Tributary does neither. Each number is replaced by its rank among the numbers of names
 *   with the same prefix, which tells the nodes apart and keeps their order within a kind.
 * - A repartition step is a sink, a topic and a source. Kafka Streams adds a filter node dropping null
 *   keys before the sink (Tributary's aggregations drop them after the source) and names the nodes after
 *   the topic; sources are therefore shown by their topics, and the filter nodes are seen through.
 * - Sub-topologies are compared as a set, not by their numbers.
 */

interface ParsedNode {
  readonly kind: 'Source' | 'Processor' | 'Sink';
  readonly name: string;
  /** A source's topics, a processor's stores, a sink's topic. */
  readonly detail: string;
  predecessors: string[];
  successors: string[];
}

function parseSubtopologies(text: string): Map<string, ParsedNode>[] {
  const subtopologies: Map<string, ParsedNode>[] = [];
  let nodes: Map<string, ParsedNode> | undefined;
  let current: ParsedNode | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('Sub-topology:')) {
      nodes = new Map();
      subtopologies.push(nodes);
      continue;
    }
    const node = /^(Source|Processor|Sink): (\S+) \((?:topics|stores|topic): (.*)\)$/.exec(line);
    if (node && nodes) {
      current = {
        kind: node[1] as ParsedNode['kind'],
        name: node[2]!,
        detail: node[3]!,
        predecessors: [],
        successors: [],
      };
      nodes.set(current.name, current);
    } else if (line.startsWith('--> ') && current) {
      current.successors = line.slice(4).split(', ');
    } else if (line.startsWith('<-- ') && current) {
      current.predecessors = line.slice(4).split(', ');
    }
  }
  return subtopologies;
}

function shapeLines(nodes: Map<string, ParsedNode>): string[] {
  // Kafka Streams' filter in front of a repartition sink: `<name>-repartition-filter`, or
  // `KSTREAM-FILTER-<n>` when the repartition is not named.
  const isRepartitionFilter = (node: ParsedNode) =>
    node.kind === 'Processor' &&
    /^KSTREAM-FILTER-\d+$|-repartition-filter$/.test(node.name) &&
    node.successors.every((name) => {
      const next = nodes.get(name);
      return next?.kind === 'Sink' && next.detail.endsWith('-repartition');
    });
  const reference = (name: string): string[] => {
    const node = nodes.get(name);
    if (!node) return [name];
    if (node.kind === 'Source') return [`topics ${node.detail}`];
    if (isRepartitionFilter(node)) return node.predecessors.flatMap(reference);
    return [name];
  };
  const lines: string[] = [];
  for (const node of nodes.values()) {
    if (node.kind === 'Source' || isRepartitionFilter(node)) continue;
    const from = node.predecessors.flatMap(reference).sort().join(', ');
    lines.push(
      node.kind === 'Sink'
        ? `Sink (topic: ${node.detail}) <-- ${from}`
        : `Processor ${node.name} (stores: ${node.detail}) <-- ${from}`,
    );
  }
  return lines;
}

/** The shape of a topology described in Kafka Streams' text layout, as sorted lines per sub-topology. */
export function topologyShape(description: string): string[][] {
  const subtopologies = parseSubtopologies(description).map(shapeLines);
  const generated = /([A-Z]+(?:-[A-Z]+)*)-(\d{10})/g;
  const numbersByPrefix = new Map<string, Set<string>>();
  for (const [, prefix, number] of subtopologies.flat().join('\n').matchAll(generated)) {
    const numbers = numbersByPrefix.get(prefix!) ?? new Set();
    numbersByPrefix.set(prefix!, numbers.add(number!));
  }
  const rank = (prefix: string, number: string) => [...numbersByPrefix.get(prefix)!].sort().indexOf(number);
  return subtopologies
    .map((lines) =>
      lines
        .map((line) =>
          line.replace(
            generated,
            (_, prefix: string, number: string) => `${prefix}-#${rank(prefix, number)}`,
          ),
        )
        .sort(),
    )
    .sort((a, b) => a.join('\n').localeCompare(b.join('\n')));
}
