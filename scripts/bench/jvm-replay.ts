// The rules check of `npm run bench:jvm`: the same recordings replayed through Tributary's seven
// applications (`replay` from tributary/testing) and through the Kafka Streams ones (Replay.java,
// Kafka Streams' TopologyTestDriver), both delivering every record in write order to every
// application before the next input record, on one partition. Replays are deterministic, so unlike a
// catch-up on a broker (where the order in which records meet after a repartition is up to each
// engine) the two must agree on every order: any difference is a difference in the rules.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecording, replay } from '../../src/testing/index.ts';
import type { Serde } from '../../src/index.ts';
import { loadOrderApps } from '../orders/apps.ts';
import { generateRecording, recordingLines } from '../orders/recording.ts';
import { compareOutcomes, outcomeOf, type OrdersOutcome, type OutcomeComparison } from './jvm-outcome.ts';
import { root } from './kafka-kit.ts';

export interface ReplayCheck {
  readonly recording: string;
  readonly comparison: OutcomeComparison;
  /** What Tributary's replay decided: the final state of every order, its checks and emails. */
  readonly tributary: OrdersOutcome;
  /** Records each side wrote to the system's topics. */
  readonly written: { readonly kafkaStreams: number; readonly tributary: number };
}

type TopicSerdes = { keySerde: Serde<unknown>; valueSerde: Serde<unknown> };

async function serdesByTopic(): Promise<Map<string, TopicSerdes>> {
  const { topics } = await import('../../schemas/topics.ts');
  return new Map(Object.values(topics).map((t) => [t.name, t as unknown as TopicSerdes]));
}

const base64 = (bytes: Uint8Array | null) => (bytes === null ? '' : Buffer.from(bytes).toString('base64'));
const bytes = (text: string) => (text === '' ? null : new Uint8Array(Buffer.from(text, 'base64')));

/** The recording through the Kafka Streams applications; the records they wrote, decoded with Tributary's serdes. */
async function replayOnKafkaStreams(
  text: string,
  java: { bin: string; classpath: string },
): Promise<{ topic: string; key: unknown; value: unknown }[]> {
  const serdes = await serdesByTopic();
  const input = parseRecording(text, 'recording')
    .map((r) => {
      const { keySerde, valueSerde } = serdes.get(r.topic)!;
      const key = r.key === undefined || r.key === null ? null : keySerde.serialize(r.key);
      const value = r.value === null ? null : valueSerde.serialize(r.value);
      return `${r.topic}\t${r.timestamp}\t${base64(key)}\t${base64(value)}\n`;
    })
    .join('');
  const child = spawn(
    java.bin,
    ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', java.classpath, 'tributary.bench.Replay'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the Kafka Streams replay exited with ${code}:\n${stderr.slice(-4000)}`);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [topic, , key, value] = line.split('\t') as [string, string, string, string];
      const { keySerde, valueSerde } = serdes.get(topic)!;
      const [k, v] = [bytes(key), bytes(value)];
      return { topic, key: k && keySerde.deserialize(k), value: v && valueSerde.deserialize(v) };
    });
}

/** A generated recording of `orders` orders (seed 1), as a replay reads it. */
export function generatedRecording(orders: number): { name: string; text: string } {
  const generated = generateRecording({ orders, seed: 1 });
  return {
    name: `generated, ${orders} orders (seed 1)`,
    text: [...recordingLines(generated.records)].join(''),
  };
}

/** The recordings of test/recordings (each on one partition) and a generated one of `generatedOrders` orders. */
export function replayRecordings(generatedOrders: number): { name: string; text: string }[] {
  const directory = join(root, 'test/recordings');
  const recorded = readdirSync(directory)
    .filter((file) => file.endsWith('.jsonl') && !file.endsWith('.golden.jsonl'))
    .sort()
    .map((file) => ({
      name: file.slice(0, -'.jsonl'.length),
      text: readFileSync(join(directory, file), 'utf8'),
    }));
  return [...recorded, generatedRecording(generatedOrders)];
}

export async function checkReplay(
  recording: { name: string; text: string },
  java: { bin: string; classpath: string },
): Promise<ReplayCheck> {
  const apps = await loadOrderApps();
  const tributary = (await replay({ apps, input: recording.text, partitions: 1 })).records;
  const kafkaStreams = await replayOnKafkaStreams(recording.text, java);
  const tributaryOutcome = outcomeOf(tributary);
  return {
    recording: recording.name,
    comparison: compareOutcomes(outcomeOf(kafkaStreams), tributaryOutcome),
    tributary: tributaryOutcome,
    written: { kafkaStreams: kafkaStreams.length, tributary: tributary.length },
  };
}
