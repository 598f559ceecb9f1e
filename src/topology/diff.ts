/**
 * Compares two versions of a topology and sorts the differences into those that break an application
 * already running (its state, its changelogs, records in flight, the data it reads or writes) and
 * harmless ones. The rules follow what Kafka Streams' upgrade notes warn about: generated store and
 * topic names shift when operators are added, and state is keyed by store name and task id.
 */
import {
  TopologyDescription,
  type InternalTopicDescription,
  type StoreDescription,
  type TopologyDescriptionJson,
} from './describe.ts';
import type { Topology } from './topology.ts';

export type DiffInput = Topology | TopologyDescription | TopologyDescriptionJson;

export type ChangeKind =
  | 'application-id'
  | 'store-added'
  | 'store-removed'
  | 'store-renamed'
  | 'store-kind'
  | 'store-serde'
  | 'store-window'
  | 'store-changelog'
  | 'store-backend'
  | 'store-task'
  | 'repartition-added'
  | 'repartition-removed'
  | 'repartition-renamed'
  | 'repartition-serde'
  | 'repartition-partitions'
  | 'source-added'
  | 'source-removed'
  | 'source-serde'
  | 'sink-added'
  | 'sink-removed'
  | 'sink-serde'
  | 'processor-added'
  | 'processor-removed'
  | 'subtopologies';

export interface TopologyChange {
  readonly kind: ChangeKind;
  readonly breaking: boolean;
  /** The store, topic or processor concerned. */
  readonly subject: string;
  readonly message: string;
}

export interface TopologyDiff {
  readonly breaking: readonly TopologyChange[];
  readonly harmless: readonly TopologyChange[];
  /** True when nothing breaks: the new version can replace the old one in place. */
  readonly compatible: boolean;
  /** The changes as readable text, breaking ones first. */
  toString(): string;
  toJSON(): { compatible: boolean; breaking: TopologyChange[]; harmless: TopologyChange[] };
}

function toDescription(input: DiffInput): TopologyDescription {
  if (input instanceof TopologyDescription) return input;
  // A description's JSON form is plain data: only a Topology has a `describe`.
  return 'describe' in input ? input.describe() : new TopologyDescription(input);
}

/** Internal topic names without the application id, so versions described with and without one compare. */
function bare(name: string, applicationId: string | undefined): string {
  if (applicationId === undefined || !name.startsWith(`${applicationId}-`)) return name;
  return /-(changelog|repartition|topic)$/.test(name) ? name.slice(applicationId.length + 1) : name;
}

export function diffTopologies(beforeInput: DiffInput, afterInput: DiffInput): TopologyDiff {
  const before = toDescription(beforeInput);
  const after = toDescription(afterInput);
  const changes: TopologyChange[] = [];
  const add = (kind: ChangeKind, breaking: boolean, subject: string, message: string) =>
    changes.push({ kind, breaking, subject, message });

  if (
    before.applicationId !== undefined &&
    after.applicationId !== undefined &&
    before.applicationId !== after.applicationId
  ) {
    add(
      'application-id',
      true,
      after.applicationId,
      `application id changed from "${before.applicationId}" to "${after.applicationId}": a new consumer group starts over, and every internal topic and store is new`,
    );
  }
  diffStores(before, after, add);
  diffRepartitionTopics(before, after, add);
  diffExternalTopics(before, after, add);
  diffProcessors(before, after, add);
  return makeDiff(changes);
}

type Add = (kind: ChangeKind, breaking: boolean, subject: string, message: string) => void;

function storeShape(store: StoreDescription): string {
  return JSON.stringify([
    store.kind,
    store.keySerde,
    store.valueSerde,
    store.windowSizeMs,
    store.windows ?? null,
  ]);
}

function diffStores(before: TopologyDescription, after: TopologyDescription, add: Add): void {
  const old = new Map(before.stores.map((s) => [s.name, s]));
  const now = new Map(after.stores.map((s) => [s.name, s]));
  const removed = before.stores.filter((s) => !now.has(s.name));
  const added = after.stores.filter((s) => !old.has(s.name));

  // A store that disappears while one of the same shape appears was most likely renamed: typically a
  // generated name whose number moved because an operator was added upstream.
  const renamedTo = new Map<string, StoreDescription>();
  for (const gone of removed) {
    const match = added.find(
      (a) => storeShape(a) === storeShape(gone) && ![...renamedTo.values()].includes(a),
    );
    if (match) renamedTo.set(gone.name, match);
  }
  for (const gone of removed) {
    const changelog = gone.changelogTopic ? ` and its changelog topic "${gone.changelogTopic}"` : '';
    const target = renamedTo.get(gone.name);
    if (target) {
      add(
        'store-renamed',
        true,
        gone.name,
        `store "${gone.name}" is now "${target.name}": its state${changelog} would be abandoned and the new store starts empty; give the store a fixed name (Materialized storeName, or name the operator) to keep it`,
      );
    } else {
      add(
        'store-removed',
        true,
        gone.name,
        `store "${gone.name}" was removed: its state${changelog} would be abandoned`,
      );
    }
  }
  const renamedTargets = new Set([...renamedTo.values()].map((s) => s.name));
  for (const store of added) {
    if (!renamedTargets.has(store.name))
      add('store-added', false, store.name, `store "${store.name}" (${store.kind}) was added`);
  }

  for (const [name, was] of old) {
    const is = now.get(name);
    if (!is) continue;
    if (was.kind !== is.kind)
      add(
        'store-kind',
        true,
        name,
        `store "${name}" changed kind from ${was.kind} to ${is.kind}: its stored data no longer fits`,
      );
    for (const part of ['keySerde', 'valueSerde'] as const) {
      if (was[part] !== is[part])
        add(
          'store-serde',
          true,
          name,
          `store "${name}" changed its ${part === 'keySerde' ? 'key' : 'value'} serde from ${was[part]} to ${is[part]}: stored data and its changelog cannot be read`,
        );
    }
    for (const field of ['windowSizeMs', 'retentionMs', 'retainDuplicates', 'timestamped'] as const) {
      if (was[field] !== undefined && is[field] !== undefined && was[field] !== is[field])
        add(
          'store-window',
          true,
          name,
          `store "${name}" changed ${field} from ${was[field]} to ${is[field]}`,
        );
    }
    if (was.windows && is.windows) {
      for (const field of new Set([...Object.keys(was.windows), ...Object.keys(is.windows)])) {
        if (was.windows[field] !== is.windows[field])
          add(
            'store-window',
            true,
            name,
            `the windows of store "${name}" changed ${field} from ${was.windows[field] ?? 'nothing'} to ${is.windows[field] ?? 'nothing'}: existing windows were computed with the old setting`,
          );
      }
    }
    const wasChangelog = was.changelogTopic && bare(was.changelogTopic, before.applicationId);
    const isChangelog = is.changelogTopic && bare(is.changelogTopic, after.applicationId);
    if (wasChangelog !== isChangelog) {
      const message = !wasChangelog
        ? `store "${name}" now logs to "${is.changelogTopic}", which does not hold its existing state`
        : !isChangelog
          ? `store "${name}" no longer logs to "${was.changelogTopic}": its state can no longer be restored from there`
          : `store "${name}" changed its changelog topic from "${was.changelogTopic}" to "${is.changelogTopic}": the new topic does not hold its state`;
      add('store-changelog', true, name, message);
    }
    if (was.backend !== is.backend)
      add(
        'store-backend',
        false,
        name,
        `store "${name}" moves from ${was.backend} to ${is.backend}${isChangelog ? ' (restored from its changelog)' : ''}`,
      );
    if (was.subtopology !== undefined && is.subtopology !== undefined && was.subtopology !== is.subtopology) {
      // Local state lives in a directory per task (sub-topology and partition).
      const logged = Boolean(isChangelog);
      add(
        'store-task',
        !logged,
        name,
        logged
          ? `store "${name}" moves from sub-topology ${was.subtopology} to ${is.subtopology}: its tasks get new ids and restore it from the changelog`
          : `store "${name}" moves from sub-topology ${was.subtopology} to ${is.subtopology} and has no changelog: its local state would be lost`,
      );
    }
  }
}

function repartitions(description: TopologyDescription): Map<string, InternalTopicDescription> {
  return new Map(
    description.internalTopics
      .filter((t) => t.kind === 'repartition')
      .map((t) => [bare(t.name, description.applicationId), t]),
  );
}

function diffRepartitionTopics(before: TopologyDescription, after: TopologyDescription, add: Add): void {
  const old = repartitions(before);
  const now = repartitions(after);
  const removed = [...old].filter(([t]) => !now.has(t));
  const added = [...now].filter(([t]) => !old.has(t));
  const shape = (t: InternalTopicDescription) => `${t.keySerde}|${t.valueSerde}`;
  const paired = new Set<string>();
  for (const [name, topic] of removed) {
    const match = added.find(([a, candidate]) => !paired.has(a) && shape(candidate) === shape(topic))?.[0];
    if (match) {
      paired.add(match);
      add(
        'repartition-renamed',
        true,
        name,
        `repartition topic "${name}" is now "${match}": records still in the old topic would never be processed; name the operation (Grouped/Repartitioned name) to keep the topic`,
      );
    } else {
      add(
        'repartition-removed',
        true,
        name,
        `repartition topic "${name}" was removed: records still in it would never be processed`,
      );
    }
  }
  for (const [name] of added)
    if (!paired.has(name)) add('repartition-added', false, name, `repartition topic "${name}" was added`);
  for (const [name, was] of old) {
    const is = now.get(name);
    if (!is) continue;
    for (const part of ['keySerde', 'valueSerde'] as const) {
      if (was[part] !== is[part])
        add(
          'repartition-serde',
          true,
          name,
          `repartition topic "${name}" changed its ${part === 'keySerde' ? 'key' : 'value'} serde from ${was[part]} to ${is[part]}: records in flight cannot be read`,
        );
    }
    if (was.partitions !== is.partitions)
      add(
        'repartition-partitions',
        true,
        name,
        `repartition topic "${name}" changed its partition count from ${was.partitions ?? 'derived'} to ${is.partitions ?? 'derived'}: keys move to other partitions, away from their state`,
      );
  }
}

interface TopicUse {
  readonly keySerde: string;
  readonly valueSerde: string;
}

/** Topics the topology reads (sources, global stores) and writes (sinks), minus its internal topics. */
function externalTopics(description: TopologyDescription): {
  reads: Map<string, TopicUse>;
  writes: Map<string, TopicUse>;
} {
  const internal = new Set(description.internalTopics.map((t) => t.name));
  const reads = new Map<string, TopicUse>();
  const writes = new Map<string, TopicUse>();
  const nodes = [
    ...description.subtopologies.flatMap((s) => s.nodes),
    ...description.globalStores.map((g) => g.source),
  ];
  for (const node of nodes) {
    if (node.type === 'source')
      for (const topic of node.topics) if (!internal.has(topic)) reads.set(topic, node);
    if (node.type === 'sink' && node.topic !== undefined && !internal.has(node.topic))
      writes.set(node.topic, node);
  }
  return { reads, writes };
}

function diffExternalTopics(before: TopologyDescription, after: TopologyDescription, add: Add): void {
  const old = externalTopics(before);
  const now = externalTopics(after);
  for (const [topic, was] of old.reads) {
    const is = now.reads.get(topic);
    if (!is) {
      add(
        'source-removed',
        true,
        topic,
        `topic "${topic}" is no longer read: its committed offsets are abandoned, and what was built from it stops updating`,
      );
      continue;
    }
    for (const part of ['keySerde', 'valueSerde'] as const) {
      if (was[part] !== is[part])
        add(
          'source-serde',
          true,
          topic,
          `topic "${topic}" is read with a different ${part === 'keySerde' ? 'key' : 'value'} serde (${was[part]} → ${is[part]}): records already in it may not be readable`,
        );
    }
  }
  for (const topic of now.reads.keys())
    if (!old.reads.has(topic)) add('source-added', false, topic, `topic "${topic}" is now read`);
  for (const [topic, was] of old.writes) {
    const is = now.writes.get(topic);
    if (!is) {
      add('sink-removed', false, topic, `topic "${topic}" is no longer written`);
      continue;
    }
    for (const part of ['keySerde', 'valueSerde'] as const) {
      if (was[part] !== is[part])
        add(
          'sink-serde',
          true,
          topic,
          `topic "${topic}" is written with a different ${part === 'keySerde' ? 'key' : 'value'} serde (${was[part]} → ${is[part]}): its readers see a new format`,
        );
    }
  }
  for (const topic of now.writes.keys())
    if (!old.writes.has(topic)) add('sink-added', false, topic, `topic "${topic}" is now written`);
}

function diffProcessors(before: TopologyDescription, after: TopologyDescription, add: Add): void {
  const names = (d: TopologyDescription) =>
    new Set([
      ...d.subtopologies.flatMap((s) => s.nodes.map((n) => n.name)),
      ...d.globalStores.flatMap((g) => [g.source.name, g.processor.name]),
    ]);
  const old = names(before);
  const now = names(after);
  for (const name of old)
    if (!now.has(name)) add('processor-removed', false, name, `node "${name}" was removed`);
  for (const name of now) if (!old.has(name)) add('processor-added', false, name, `node "${name}" was added`);
  if (before.subtopologies.length !== after.subtopologies.length)
    add(
      'subtopologies',
      false,
      'sub-topologies',
      `the number of sub-topologies changed from ${before.subtopologies.length} to ${after.subtopologies.length}`,
    );
}

function makeDiff(changes: TopologyChange[]): TopologyDiff {
  const breaking = changes.filter((c) => c.breaking);
  const harmless = changes.filter((c) => !c.breaking);
  return {
    breaking,
    harmless,
    compatible: breaking.length === 0,
    toString() {
      if (changes.length === 0) return 'No changes.\n';
      const section = (title: string, list: TopologyChange[]) =>
        list.length === 0
          ? ''
          : `${title} (${list.length}):\n${list.map((c) => `  - ${c.message}\n`).join('')}`;
      const verdict =
        breaking.length > 0
          ? `Not compatible: ${breaking.length} breaking change${breaking.length === 1 ? '' : 's'}.\n`
          : 'Compatible: no breaking changes.\n';
      return [verdict, section('Breaking changes', breaking), section('Harmless changes', harmless)]
        .filter((s) => s.length > 0)
        .join('\n');
    },
    toJSON() {
      return { compatible: breaking.length === 0, breaking, harmless };
    },
  };
}
