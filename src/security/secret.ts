import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { ConfigError, errorMessage } from '../errors.ts';

const REDACTED = '[redacted]';

/**
 * A password, token or key passphrase. Its value is reachable only through `reveal()`, at the moment it
 * is handed to a client: printing it, logging it (pino serializes through `toJSON`), putting it in a
 * template string or inspecting it shows `[redacted]` and where it came from, never the value.
 */
export class Secret {
  readonly #value: string;
  /** Where the value came from, for messages: `KAFKA_SASL_PASSWORD`, `file /run/secrets/kafka`. */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED}, from ${this.source})`;
  }
}

/**
 * Reads a secret from a file (a mounted Kubernetes or Docker secret): the whole content, without the
 * trailing line break editors and `echo` add. `where` names the setting the path came from; an error
 * names it and the path, and never shows the content.
 */
export function secretFromFile(path: string, where: string): Secret {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${where}: cannot read the secret file ${path}: ${errorMessage(cause)}`, { cause });
  }
  const value = content.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new ConfigError(`${where}: the secret file ${path} is empty`);
  return new Secret(value, `file ${path}`);
}
