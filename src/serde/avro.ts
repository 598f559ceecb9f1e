import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { SerdeError } from '../errors.ts';
import type { Serde, SerdeContext } from './serde.ts';
import { toError } from '../common/to-error.ts';

type AvroType = avro.Type;

function where(context: SerdeContext | undefined): string {
  return context ? ` (${context.part} of topic "${context.topic}")` : '';
}

/** Field-level reasons a value does not fit an Avro type, e.g. `quantity: expected int, got "two"`. */
export function avroValidationErrors(type: AvroType, value: unknown): string[] {
  const errors: string[] = [];
  type.isValid(value, {
    errorHook: (path: string[], bad: unknown, expected: AvroType) => {
      const field = path.length > 0 ? path.join('.') : '(value)';
      const expectation =
        expected instanceof avro.types.EnumType
          ? `one of ${expected.symbols.join(', ')}`
          : expected.typeName === 'record'
            ? `a ${expected.name} record`
            : expected.typeName;
      errors.push(
        `${field}: expected ${expectation}, got ${bad === undefined ? 'nothing' : JSON.stringify(bad)}`,
      );
    },
  });
  return errors;
}

/** The Avro type behind each serde `avroSerde` made, so the schema registry can find and register it. */
const avroTypes = new WeakMap<Serde<unknown>, AvroType>();

/** The Avro type a serde encodes with, when it is an Avro serde (made by `avroSerde`). */
export function avroTypeOf(serde: Serde<unknown>): AvroType | undefined {
  return avroTypes.get(serde);
}

/**
 * Decodes Avro binary as `avroSerde` does (plain objects), optionally through a resolver from the
 * writer's schema (the schema registry's writer → reader resolution).
 */
export function decodeAvro(type: AvroType, bytes: Uint8Array, resolver?: avro.Resolver): unknown {
  const decoded: unknown = type.fromBuffer(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    resolver,
  );
  const convert = plainConverter(type);
  return convert ? convert(decoded) : decoded;
}

/**
 * Avro binary encoding through `avsc` (no schema registry framing: see the registry serde for that).
 * Records come out as plain objects, enums as strings, longs as JS numbers (avsc refuses longs that
 * would lose precision). The JSON form for recordings is the same shape; missing fields take their
 * schema defaults.
 */
export function avroSerde<T>(type: AvroType): Serde<T> {
  const name = `avro:${type.name ?? type.typeName}`;
  const check = (value: unknown, context?: SerdeContext): T => {
    const filled = fillDefaults(type, value);
    const errors = avroValidationErrors(type, filled);
    if (errors.length > 0)
      throw new SerdeError(
        `value does not match Avro type ${type.name ?? type.typeName}${where(context)}: ${errors.join('; ')}`,
      );
    return filled as T;
  };
  const serde: Serde<T> = {
    name,
    serialize: (value, context) => {
      try {
        return type.toBuffer(value);
      } catch (cause) {
        // Left-out fields with defaults are fine; anything else is reported field by field.
        const filled = check(value, context);
        try {
          return type.toBuffer(filled);
        } catch {
          throw new SerdeError(`cannot encode value as ${name}${where(context)}: ${toError(cause).message}`, {
            cause,
          });
        }
      }
    },
    deserialize: (bytes, context) => {
      try {
        return decodeAvro(type, bytes) as T;
      } catch (cause) {
        throw new SerdeError(`bytes are not a valid ${name}${where(context)}: ${toError(cause).message}`, {
          cause,
        });
      }
    },
    toJson: (value) => value,
    fromJson: (json, context) => check(json, context),
  };
  avroTypes.set(serde, type);
  return serde;
}

/** Turns one decoded avsc value into plain objects and arrays. */
type Converter = (value: unknown) => unknown;

/** Built once per type: decoding is on every record's path, the shape of a type never changes. */
const converters = new WeakMap<AvroType, Converter | null>();

/**
 * avsc decodes records as instances of generated classes; plain objects compare and print better.
 * Arrays, maps, enums and primitives come out plain, so only records (and what leads to them) are
 * copied: a record without nested records is one spread of its own fields. Undefined: values of
 * this type are plain as decoded.
 */
function plainConverter(type: AvroType): Converter | undefined {
  let convert = converters.get(type);
  if (convert === undefined) {
    convert = buildConverter(type) ?? null;
    converters.set(type, convert);
  }
  return convert ?? undefined;
}

/** The type's own class tells its shape: records (and errors), arrays, maps, unions; the rest are plain. */
function buildConverter(type: AvroType): Converter | undefined {
  if (type instanceof avro.types.RecordType) return recordConverter(type, type.fields);
  if (type instanceof avro.types.ArrayType) {
    const item = plainConverter(type.itemsType);
    return item && ((value) => (Array.isArray(value) ? value.map(item) : value));
  }
  if (type instanceof avro.types.MapType) {
    const entry = plainConverter(mapValuesType(type));
    return (
      entry &&
      ((value) => {
        if (value === null || typeof value !== 'object') return value;
        const plain: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) plain[k] = entry(v);
        return plain;
      })
    );
  }
  if (type instanceof avro.types.UnwrappedUnionType) {
    // Which branch a value took is not recorded; a union that can hold records is copied generically.
    return type.types.some((branch) => plainConverter(branch) !== undefined) ? toPlain : undefined;
  }
  if (type instanceof avro.types.WrappedUnionType) return toPlain;
  return undefined;
}

/** avsc declares a map's value type as `any`; it is always a Type. */
function mapValuesType(type: avro.types.MapType): AvroType {
  const values: unknown = type.valuesType;
  if (!(values instanceof avro.Type))
    throw new SerdeError(`Avro map type ${type.name ?? type.typeName} has no value type`);
  return values;
}

function recordConverter(type: AvroType, fields: readonly { name: string; type: AvroType }[]): Converter {
  const nested: { name: string; convert: Converter }[] = [];
  const convert: Converter = (value) => {
    const plain: Record<string, unknown> = { ...(value !== null && typeof value === 'object' ? value : {}) };
    for (const field of nested) plain[field.name] = field.convert(plain[field.name]);
    return plain;
  };
  // Registered before its fields are looked at: a recursive type refers to its own converter.
  converters.set(type, convert);
  for (const field of fields) {
    const fieldConvert = plainConverter(field.type);
    if (fieldConvert) nested.push({ name: field.name, convert: fieldConvert });
  }
  return convert;
}

/** The generic copy, for unions: every object-valued thing becomes a plain object or array. */
function toPlain(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(toPlain);
  const plain: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) plain[k] = toPlain(v);
  return plain;
}

/** Fills record fields left out with their defaults, recursively, so recordings may omit them. */
function fillDefaults(type: AvroType, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  // avsc's `error` types are RecordTypes as well; defaults are filled in for `record` types only.
  if (type.typeName === 'record' && type instanceof avro.types.RecordType) {
    if (Array.isArray(value)) return value;
    const result: Record<string, unknown> = { ...value };
    for (const field of type.fields) {
      if (result[field.name] === undefined) {
        const fallback: unknown = field.defaultValue();
        if (fallback !== undefined) result[field.name] = fallback;
      } else {
        result[field.name] = fillDefaults(field.type, result[field.name]);
      }
    }
    return result;
  }
  if (type instanceof avro.types.UnwrappedUnionType) {
    // The branch the value fits once filled: ["null", Record] is how optional records are written.
    for (const branch of type.types) {
      const filled = fillDefaults(branch, value);
      if (filled !== value && branch.isValid(filled)) return filled;
    }
    return value;
  }
  if (type instanceof avro.types.ArrayType)
    return Array.isArray(value) ? value.map((item) => fillDefaults(type.itemsType, item)) : value;
  if (type instanceof avro.types.MapType) {
    const valuesType = mapValuesType(type);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDefaults(valuesType, v)]));
  }
  return value;
}

/**
 * The named Avro types of a directory of `.avsc` files; files may refer to types defined in others.
 *
 * @example
 * ```ts
 * const schemas = AvroSchemas.fromDirectory(fileURLToPath(new URL('../schemas/', import.meta.url)));
 * export const orders = defineTopic('orders', Serdes.String(), schemas.serde<Order>('Order'));
 * ```
 */
export class AvroSchemas {
  private readonly types: Map<string, AvroType>;

  private constructor(types: Map<string, AvroType>) {
    this.types = types;
  }

  /**
   * Reads every `.avsc` file of a directory; a schema may name types another file defines.
   *
   * @example
   * ```ts
   * const schemas = AvroSchemas.fromDirectory('schemas');
   * ```
   */
  static fromDirectory(directory: string): AvroSchemas {
    const files = readdirSync(directory)
      .filter((f) => f.endsWith('.avsc'))
      .sort();
    return AvroSchemas.fromSchemas(
      files.map((file) => ({
        source: join(directory, file),
        schema: JSON.parse(readFileSync(join(directory, file), 'utf8')) as avro.Schema,
      })),
    );
  }

  /**
   * Parses schemas in any order: one that names a type not parsed yet is retried after the others.
   *
   * @example
   * ```ts
   * const schemas = AvroSchemas.fromSchemas([{ source: 'order.avsc', schema: orderSchema }]);
   * ```
   */
  static fromSchemas(schemas: readonly { source: string; schema: avro.Schema }[]): AvroSchemas {
    const registry: Record<string, AvroType> = {};
    let remaining = [...schemas];
    while (remaining.length > 0) {
      const failed: { source: string; schema: avro.Schema; error: Error }[] = [];
      for (const entry of remaining) {
        // A failed parse may leave half its names registered: parse into a copy, keep it only on success.
        const attempt = { ...registry };
        try {
          avro.Type.forSchema(entry.schema, { registry: attempt });
          Object.assign(registry, attempt);
        } catch (error) {
          failed.push({ ...entry, error: toError(error) });
        }
      }
      if (failed.length === remaining.length) {
        throw new SerdeError(
          `cannot parse Avro schemas: ${failed.map((f) => `${f.source}: ${f.error.message}`).join('; ')}`,
        );
      }
      remaining = failed;
    }
    const types = new Map<string, AvroType>();
    for (const [name, type] of Object.entries(registry)) {
      types.set(name, type);
      const short = name.slice(name.lastIndexOf('.') + 1);
      if (!types.has(short)) types.set(short, type);
    }
    return new AvroSchemas(types);
  }

  /**
   * A type by full or short name (an avsc `Type`).
   *
   * @example
   * ```ts
   * schemas.type('Order').isValid(order);
   * ```
   */
  type(name: string): AvroType {
    const type = this.types.get(name);
    if (!type)
      throw new SerdeError(
        `no Avro type named "${name}"; known: ${[...this.types.keys()].filter((n) => !n.includes('.')).join(', ')}`,
      );
    return type;
  }

  /**
   * An Avro serde for a named type; values are plain objects, enums strings.
   *
   * @example
   * ```ts
   * const orderSerde = schemas.serde<Order>('Order');
   * ```
   */
  serde<T>(name: string): Serde<T> {
    return avroSerde<T>(this.type(name));
  }

  /**
   * The full names of the types read.
   *
   * @example
   * ```ts
   * schemas.names(); // ['tributary.orders.Order', ...]
   * ```
   */
  names(): string[] {
    return [...this.types.keys()];
  }
}
