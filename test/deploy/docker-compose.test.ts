import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { topics } from '../../schemas/topics.ts';
import { readYaml, type YamlValue } from '../support/compose-file.ts';
import { pinnedKafkaVersion } from '../support/kafka-version.ts';

// docker-compose.yml cannot run here (no container engine): these checks keep it in step with the
// repository instead — the pinned Kafka version, the topology files, the topics, the listeners.
const root = fileURLToPath(new URL('../..', import.meta.url));
const compose = readYaml(`${root}/docker-compose.yml`) as { [key: string]: YamlValue };
const services = compose.services as { [name: string]: { [key: string]: YamlValue } };
const applications = [
  'order-details',
  'inventory',
  'fraud',
  'validations-aggregator',
  'payments',
  'emails',
  'orders-view',
];

describe('docker-compose.yml', () => {
  it('runs Kafka at the version the tests use, in KRaft mode', () => {
    expect(services.kafka!.image).toBe(`apache/kafka:${pinnedKafkaVersion()}`);
    expect(services.topics!.image).toBe(services.kafka!.image);
    const env = services.kafka!.environment as Record<string, string>;
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('INTERNAL://kafka:9092');
    // From the host, the port of scripts/kafka/start.sh.
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('EXTERNAL://localhost:39092');
    expect(services.kafka!.ports).toContain('39092:39092');
  });

  it("runs Confluent's Schema Registry against that Kafka", () => {
    expect(services['schema-registry']!.image).toMatch(/^confluentinc\/cp-schema-registry:\d+\.\d+\.\d+$/);
    const env = services['schema-registry']!.environment as Record<string, string>;
    expect(env.SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS).toBe('PLAINTEXT://kafka:9092');
  });

  it.each(applications)('runs a worker for %s from its topology file', (application) => {
    const service = services[application];
    expect(service, `service ${application}`).toBeDefined();
    expect(service!.build).toBe('.');
    expect(service!.command).toEqual(['node', 'bin/tributary.js', 'run', `topologies/${application}.ts`]);
    expect(existsSync(`${root}/topologies/${application}.ts`), `topologies/${application}.ts`).toBe(true);
    const env = service!.environment as Record<string, string>;
    expect(env.KAFKA_BROKERS).toBe('kafka:9092');
    // Each worker keeps its stores on a volume of its own.
    expect(service!.volumes).toEqual([`${application}-state:${env.STATE_DIR}`]);
    expect(Object.keys(compose.volumes as object)).toContain(`${application}-state`);
  });

  it('creates every topic of the reference system before the workers start', () => {
    const script = (services.topics!.entrypoint as string[]).join('\n');
    const created = /for topic in ([^;]+);/.exec(script)![1]!.trim().split(/\s+/);
    expect(created.sort()).toEqual(
      Object.values(topics)
        .map((t) => t.name)
        .sort(),
    );
    for (const application of applications) {
      const dependsOn = services[application]!.depends_on as Record<string, Record<string, string>>;
      expect(dependsOn.topics).toEqual({ condition: 'service_completed_successfully' });
    }
  });

  it('builds the workers on Node 24 with the locked dependencies', () => {
    const dockerfile = readFileSync(`${root}/Dockerfile`, 'utf8');
    expect(dockerfile).toMatch(/^FROM node:24/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^COPY topologies /m);
  });
});
