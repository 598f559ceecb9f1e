import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { Agent } from 'node:http';
import { TributaryError, errorMessage } from '../errors.ts';
import {
  authorizationMiddleware,
  registryAgent,
  registryGet,
  type RegistrySecurity,
} from './registry-connection.ts';

/** A schema registry refused or failed a request; the message names the subject and the registry's reason. */
export class SchemaRegistryError extends TributaryError {
  readonly subject: string | undefined;
  constructor(message: string, options: { cause?: unknown; subject?: string; retriable?: boolean } = {}) {
    super('TRIB_SCHEMA_REGISTRY', message, options);
    this.subject = options.subject;
  }
}

export interface SchemaRegistryOptions {
  /** The registry's base URL, e.g. http://localhost:8081 (Apicurio: .../apis/ccompat/v7). */
  readonly url: string;
  readonly clientId?: string;
  /** Credentials (basic auth or a bearer token) and the CA of the registry's certificate. */
  readonly security?: RegistrySecurity;
}

const CLIENT_ID = 'tributary';

/**
 * A Confluent-compatible schema registry, through `@kafkajs/confluent-schema-registry`: registers
 * Avro schemas under subjects and fetches writer schemas by id (once each). Encoding and decoding
 * happen elsewhere, synchronously, from what this client has cached.
 */
export class SchemaRegistryClient {
  readonly url: string;
  private readonly clientId: string;
  private readonly client: SchemaRegistry;
  private readonly security: RegistrySecurity;
  private readonly agent: Agent | undefined;
  private readonly writers = new Map<number, avro.Type>();
  private readonly fetching = new Map<number, Promise<void>>();
  private readonly failures = new Map<number, Error>();

  constructor(options: SchemaRegistryOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.clientId = options.clientId ?? CLIENT_ID;
    this.security = options.security ?? {};
    this.agent = registryAgent(this.url, this.security);
    const middleware = authorizationMiddleware(this.security);
    this.client = new SchemaRegistry({
      host: this.url,
      clientId: this.clientId,
      retry: { retries: 2 },
      ...(this.agent ? { agent: this.agent } : {}),
      ...(middleware ? { middlewares: [middleware] } : {}),
    });
  }

  /**
   * Registers an Avro type under a subject (a no-op when the subject already holds it) and returns
   * its id. An incompatible change is refused by the registry; the error names the subject and says
   * why. The subject's compatibility setting is left as it is; a new subject gets BACKWARD.
   */
  async register(subject: string, type: avro.Type): Promise<number> {
    // Defaults must go to the registry: compatibility checks depend on them.
    const schema = JSON.stringify(type.schema({ exportAttrs: true }));
    let options: { compatibility?: COMPATIBILITY; updateConfig?: boolean };
    try {
      options = await this.registrationOptions(subject);
    } catch (error) {
      throw this.failure(`cannot read the compatibility setting of subject "${subject}"`, error, subject);
    }
    try {
      const { id } = await this.client.register({ type: SchemaType.AVRO, schema }, { subject, ...options });
      return id;
    } catch (error) {
      const status = fieldOf(error, 'status');
      if (status === 409)
        throw new SchemaRegistryError(
          `the schema registry at ${this.url} refused schema ${type.name ?? type.typeName} for subject "${subject}" as incompatible with the versions it holds: ${this.reason(error)}. Make the change compatible (give new fields defaults, do not remove fields without defaults) or use a new topic`,
          { cause: error, subject },
        );
      if (status === 422)
        throw new SchemaRegistryError(
          `the schema registry at ${this.url} refused schema ${type.name ?? type.typeName} for subject "${subject}" as invalid: ${this.reason(error)}`,
          { cause: error, subject },
        );
      throw this.failure(
        `cannot register schema ${type.name ?? type.typeName} under subject "${subject}"`,
        error,
        subject,
      );
    }
  }

  /** The writer schema of an id, when it has been fetched. */
  writer(id: number): avro.Type | undefined {
    return this.writers.get(id);
  }

  /** Why fetching an id's schema failed, if it did. */
  fetchFailure(id: number): Error | undefined {
    return this.failures.get(id);
  }

  /** Fetches an id's writer schema once; never rejects (a failure is kept for `fetchFailure`). */
  fetchWriter(id: number): Promise<void> {
    if (this.writers.has(id)) return Promise.resolve();
    let pending = this.fetching.get(id);
    if (!pending) {
      pending = (async () => {
        try {
          const found = (await this.client.getSchema(id)) as unknown as avro.Type;
          // Rebuilt with our own avsc, so resolvers between it and our types always work.
          this.writers.set(id, avro.Type.forSchema(found.schema({ exportAttrs: true }) as avro.Schema));
          this.failures.delete(id);
        } catch (error) {
          this.failures.set(id, this.failure(`cannot fetch the schema with id ${id}`, error));
        } finally {
          this.fetching.delete(id);
        }
      })();
      this.fetching.set(id, pending);
    }
    return pending;
  }

  /** Remembers a type under the id the registry gave it, so records written with it need no fetch. */
  remember(id: number, type: avro.Type): void {
    if (!this.writers.has(id)) this.writers.set(id, type);
  }

  /**
   * The compatibility to pass with a registration. The client compares it with the subject's
   * setting and refuses a mismatch; Apicurio answers `GET /config/{subject}` with NONE for an
   * existing subject that has no setting of its own (Confluent answers 404), so ask first and pass
   * what the subject has. Only a subject that does not exist yet gets BACKWARD set.
   */
  private async registrationOptions(
    subject: string,
  ): Promise<{ compatibility?: COMPATIBILITY; updateConfig?: boolean }> {
    const config = await this.get(`/config/${encodeURIComponent(subject)}`);
    if (config.status === 200) {
      const level = String(fieldOf(config.body, 'compatibilityLevel') ?? '').toUpperCase();
      const compatibility = Object.values(COMPATIBILITY).find((known) => known === level);
      if (compatibility !== undefined) return { compatibility, updateConfig: false };
    }
    const versions = await this.get(`/subjects/${encodeURIComponent(subject)}/versions`);
    // An existing subject without a setting of its own follows the registry's default: leave it so.
    if (versions.status === 200) return { compatibility: COMPATIBILITY.BACKWARD, updateConfig: false };
    return { compatibility: COMPATIBILITY.BACKWARD, updateConfig: true };
  }

  private async get(path: string): Promise<{ status: number; body: unknown }> {
    const response = await registryGet(
      `${this.url}${path}`,
      { accept: 'application/vnd.schemaregistry.v1+json, application/json' },
      this.security,
      this.agent,
    );
    const text = response.text;
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: keep the text for the error message.
    }
    if (response.status >= 500 || (response.status >= 400 && response.status !== 404))
      throw Object.assign(
        new Error(
          `GET ${path} answered ${response.status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`,
        ),
        { status: response.status },
      );
    return { status: response.status, body };
  }

  /** The registry's own words, without the client's `<clientId> - ` prefix. */
  private reason(error: unknown): string {
    const message = errorMessage(error);
    return message.startsWith(`${this.clientId} - `) ? message.slice(this.clientId.length + 3) : message;
  }

  private failure(what: string, error: unknown, subject?: string): SchemaRegistryError {
    const code = String(fieldOf(error, 'code') ?? '');
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code))
      return new SchemaRegistryError(
        `${what}: the certificate of the schema registry ${this.url} is not trusted (${this.reason(error)}); give the CA that signed it with SCHEMA_REGISTRY_TLS_CA (--schema-registry-tls-ca)`,
        { cause: error, subject, retriable: false },
      );
    const status = fieldOf(error, 'status');
    if (status === 401 || status === 403)
      // Credentials do not heal by retrying: say which settings to check.
      return new SchemaRegistryError(
        `${what}: the schema registry ${this.url} ${status === 401 ? 'did not accept the credentials' : 'refused access'} (HTTP ${status}); check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD, or SCHEMA_REGISTRY_TOKEN (and their *_FILE forms)`,
        { cause: error, subject, retriable: false },
      );
    return new SchemaRegistryError(`${what} at the schema registry ${this.url}: ${this.reason(error)}`, {
      cause: error,
      subject,
      retriable: true,
    });
  }
}

/** A field of a thrown error or a parsed answer, which may be anything. */
function fieldOf(value: unknown, field: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, field) : undefined;
}
