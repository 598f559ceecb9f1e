import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Kafka version pinned in scripts/kafka/version.env: tests, containers and compose use the same. */
export function pinnedKafkaVersion(): string {
  const text = readFileSync(
    fileURLToPath(new URL('../../scripts/kafka/version.env', import.meta.url)),
    'utf8',
  );
  const match = /KAFKA_VERSION:=([0-9.]+)/.exec(text);
  if (!match) throw new Error('scripts/kafka/version.env does not pin KAFKA_VERSION');
  return match[1]!;
}
