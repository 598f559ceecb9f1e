/**
 * Encoding and decoding of one field of an IR node, by the kind the schema gives it. Errors name the
 * node and the field, so a hand-written JSON topology can be fixed from the message alone.
 */
import { TopologyError } from '../../errors.ts';
import type { StoreBackend, StoreKind, StoreSpec } from '../../state/api.ts';
import type { AnyFunction } from '../../common/functions.ts';
import type { AnySerde, StoreIr } from '../ir.ts';
import type { FunctionRegistry } from './function-registry.ts';
import type { FieldKind } from './schema.ts';
import { resolveSerde, serdeName, type SerdeResolveOptions } from './serde-registry.ts';
import { toError } from '../../common/to-error.ts';
import { isJsonObject } from '../../common/json.ts';

/** Where a value sits, for error messages: `node 3 "KSTREAM-FILTER-0000000003" (filter), field "predicate"`. */
export interface FieldPlace {
  readonly node: string;
  readonly field: string;
}

function fail(place: FieldPlace, message: string): never {
  throw new TopologyError(`${place.node}: field "${place.field}" ${message}`);
}

function nested(place: FieldPlace, field: string): FieldPlace {
  return { node: place.node, field: `${place.field}.${field}` };
}

// ---------------------------------------------------------------- writing

export interface EncodeContext {
  readonly functions: FunctionRegistry;
}

export function encodeField(
  kind: FieldKind,
  value: unknown,
  place: FieldPlace,
  context: EncodeContext,
): unknown {
  if (value === undefined) return undefined;
  switch (kind) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return finite(value as number, place);
    case 'strings':
      return [...(value as string[])];
    case 'json':
      return plainJson(value, place);
    case 'fn':
      return encodeFunction(value as AnyFunction, place, context);
    case 'fns':
      return (value as AnyFunction[]).map((fn, i) => encodeFunction(fn, nested(place, String(i)), context));
    case 'serde':
      return encodeSerde(value as AnySerde, place);
    case 'topic':
      return typeof value === 'string'
        ? value
        : { function: encodeFunction(value as AnyFunction, place, context) };
    case 'branches':
      return (value as { childName: string; predicate: AnyFunction | undefined }[]).map((b, i) => ({
        childName: b.childName,
        ...(b.predicate
          ? { predicate: encodeFunction(b.predicate, nested(place, `${i}.predicate`), context) }
          : {}),
      }));
    case 'store':
      return encodeStore(value as StoreIr, place);
    case 'store-spec':
      return encodeStoreSpec(value as StoreSpec, place);
  }
}

function finite(value: number, place: FieldPlace): number {
  if (!Number.isFinite(value)) fail(place, `is ${value}, which JSON cannot hold`);
  return value;
}

function plainJson(value: unknown, place: FieldPlace): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value === 'number') return finite(value, place);
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => plainJson(v, nested(place, String(i))));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'function') fail(nested(place, k), 'is a function inside plain data');
    if (v !== undefined) out[k] = plainJson(v, nested(place, k));
  }
  return out;
}

function encodeFunction(fn: AnyFunction, place: FieldPlace, context: EncodeContext): string {
  const name = context.functions.nameOf(fn);
  if (name === undefined) {
    const hint = fn.name ? ` (the function "${fn.name}")` : '';
    fail(
      place,
      `is a function with no registered name${hint}; wrap it with named('<name>', fn) or pass it in the functions option`,
    );
  }
  return name;
}

function encodeSerde(serde: AnySerde, place: FieldPlace): string {
  const name = serdeName(serde);
  if (name === undefined) fail(place, 'is a serde without a name; give the serde a non-empty `name`');
  return name;
}

function encodeStore(store: StoreIr, place: FieldPlace): Record<string, unknown> {
  return {
    name: store.name,
    generated: store.generated,
    backend: store.backend,
    logging: store.logging,
    loggingConfig: { ...store.loggingConfig },
    ...(store.caching === false ? { caching: false } : {}),
    ...(store.keySerde ? { keySerde: encodeSerde(store.keySerde, nested(place, 'keySerde')) } : {}),
    ...(store.valueSerde ? { valueSerde: encodeSerde(store.valueSerde, nested(place, 'valueSerde')) } : {}),
    ...(store.retentionMs !== undefined
      ? { retentionMs: finite(store.retentionMs, nested(place, 'retentionMs')) }
      : {}),
    ...(store.historyRetentionMs !== undefined
      ? { historyRetentionMs: finite(store.historyRetentionMs, nested(place, 'historyRetentionMs')) }
      : {}),
  };
}

function encodeStoreSpec(spec: StoreSpec, place: FieldPlace): Record<string, unknown> {
  const out = plainJson({ ...spec, keySerde: undefined, valueSerde: undefined }, place) as Record<
    string,
    unknown
  >;
  return {
    ...out,
    keySerde: encodeSerde(spec.keySerde, nested(place, 'keySerde')),
    valueSerde: encodeSerde(spec.valueSerde, nested(place, 'valueSerde')),
  };
}

// ---------------------------------------------------------------- reading

export interface DecodeContext {
  readonly functions: FunctionRegistry;
  readonly serdes: SerdeResolveOptions;
  /** Stand in for unknown functions with ones that throw when called (describing and diffing only). */
  readonly placeholders: boolean;
}

export function decodeField(
  kind: FieldKind,
  value: unknown,
  place: FieldPlace,
  context: DecodeContext,
): unknown {
  switch (kind) {
    case 'string':
      return expectString(value, place);
    case 'number':
      return expectNumber(value, place);
    case 'boolean':
      if (typeof value !== 'boolean') fail(place, `must be true or false, got ${show(value)}`);
      return value;
    case 'strings':
      if (!Array.isArray(value)) fail(place, `must be an array of strings, got ${show(value)}`);
      return value.map((v, i) => expectString(v, nested(place, String(i))));
    case 'json':
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        fail(place, `must be an object, got ${show(value)}`);
      return value;
    case 'fn':
      return decodeFunction(value, place, context);
    case 'fns':
      if (!Array.isArray(value)) fail(place, `must be an array of function names, got ${show(value)}`);
      return value.map((v, i) => decodeFunction(v, nested(place, String(i)), context));
    case 'serde':
      return decodeSerde(value, place, context);
    case 'topic':
      if (typeof value === 'string') return expectString(value, place);
      if (value !== null && typeof value === 'object' && 'function' in value)
        return decodeFunction(value.function, nested(place, 'function'), context);
      return fail(place, `must be a topic name or {"function": "<name>"}, got ${show(value)}`);
    case 'branches':
      if (!Array.isArray(value)) fail(place, `must be an array of branches, got ${show(value)}`);
      return value.map((b: unknown, i) => {
        const branch = expectObject(b, nested(place, String(i)));
        return {
          childName: expectString(branch.childName, nested(place, `${i}.childName`)),
          predicate:
            branch.predicate === undefined
              ? undefined
              : decodeFunction(branch.predicate, nested(place, `${i}.predicate`), context),
        };
      });
    case 'store':
      return decodeStore(value, place, context);
    case 'store-spec':
      return decodeStoreSpec(value, place, context);
  }
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function expectString(value: unknown, place: FieldPlace): string {
  if (typeof value !== 'string' || value.length === 0)
    fail(place, `must be a non-empty string, got ${show(value)}`);
  return value;
}

function expectNumber(value: unknown, place: FieldPlace): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(place, `must be a number, got ${show(value)}`);
  return value;
}

function expectObject(value: unknown, place: FieldPlace): Record<string, unknown> {
  if (!isJsonObject(value)) fail(place, `must be an object, got ${show(value)}`);
  return value;
}

function decodeFunction(value: unknown, place: FieldPlace, context: DecodeContext): AnyFunction {
  const name = expectString(value, place);
  const fn = context.functions.get(name);
  if (fn) return fn;
  if (context.placeholders) return placeholderFunction(name);
  const known = context.functions.names();
  fail(
    place,
    `names the function "${name}", which is not among the functions given (${known.length > 0 ? `known: ${known.join(', ')}` : 'none were given'})`,
  );
}

/** Stands in for a function that was not provided: enough to describe the topology, not to run it. */
function placeholderFunction(name: string): AnyFunction {
  const fn = () => {
    throw new TopologyError(`function "${name}" was not provided; it is a placeholder and cannot run`);
  };
  Object.defineProperty(fn, 'name', { value: name });
  return fn;
}

export function decodeSerde(value: unknown, place: FieldPlace, context: DecodeContext): AnySerde {
  const name = expectString(value, place);
  try {
    return resolveSerde(name, { ...context.serdes, placeholders: context.placeholders });
  } catch (error) {
    return fail(place, toError(error).message);
  }
}

function decodeBackend(value: unknown, place: FieldPlace): StoreBackend {
  if (value === undefined) return 'leveldb';
  if (value !== 'leveldb' && value !== 'memory')
    fail(place, `must be "leveldb" or "memory", got ${show(value)}`);
  return value;
}

function decodeConfig(value: unknown, place: FieldPlace): Record<string, string> {
  if (value === undefined) return {};
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(expectObject(value, place))) {
    if (typeof v !== 'string') fail(nested(place, k), 'must be a string');
    config[k] = v;
  }
  return config;
}

function optionalBoolean(value: unknown, place: FieldPlace): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') fail(place, 'must be true or false');
  return value;
}

function optionalNumber(value: unknown, place: FieldPlace): number | undefined {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value)))
    fail(place, 'must be a number');
  return value;
}

/** Stores take defaults for everything but the name, so hand-written JSON stays short. */
function decodeStore(value: unknown, place: FieldPlace, context: DecodeContext): StoreIr {
  const store = expectObject(value, place);
  checkFields(
    store,
    [
      'name',
      'generated',
      'backend',
      'logging',
      'loggingConfig',
      'keySerde',
      'valueSerde',
      'retentionMs',
      'historyRetentionMs',
      'caching',
    ],
    `${place.node}, field "${place.field}"`,
  );
  const optionalSerde = (field: string) =>
    store[field] === undefined ? undefined : decodeSerde(store[field], nested(place, field), context);
  const generated = optionalBoolean(store.generated, nested(place, 'generated'));
  const logging = optionalBoolean(store.logging, nested(place, 'logging'));
  const retentionMs = optionalNumber(store.retentionMs, nested(place, 'retentionMs'));
  const historyRetentionMs = optionalNumber(store.historyRetentionMs, nested(place, 'historyRetentionMs'));
  const caching = optionalBoolean(store.caching, nested(place, 'caching'));
  return {
    name: expectString(store.name, nested(place, 'name')),
    generated: generated ?? false,
    backend: decodeBackend(store.backend, nested(place, 'backend')),
    logging: logging ?? true,
    loggingConfig: decodeConfig(store.loggingConfig, nested(place, 'loggingConfig')),
    keySerde: optionalSerde('keySerde'),
    valueSerde: optionalSerde('valueSerde'),
    retentionMs,
    ...(historyRetentionMs !== undefined ? { historyRetentionMs } : {}),
    ...(caching === false ? { caching } : {}),
  };
}

const storeKinds: readonly StoreKind[] = [
  'key-value',
  'timestamped-key-value',
  'versioned-key-value',
  'window',
  'session',
];

function decodeStoreSpec(value: unknown, place: FieldPlace, context: DecodeContext): StoreSpec {
  const spec = expectObject(value, place);
  const kind = storeKinds.find((k) => k === spec.kind);
  if (kind === undefined)
    fail(nested(place, 'kind'), `must be one of ${storeKinds.join(', ')}, got ${show(spec.kind)}`);
  const number = (field: string) => expectNumber(spec[field], nested(place, field));
  const logging = spec.logging === undefined ? {} : expectObject(spec.logging, nested(place, 'logging'));
  const common = {
    name: expectString(spec.name, nested(place, 'name')),
    keySerde: decodeSerde(spec.keySerde, nested(place, 'keySerde'), context),
    valueSerde: decodeSerde(spec.valueSerde, nested(place, 'valueSerde'), context),
    backend: decodeBackend(spec.backend, nested(place, 'backend')),
    logging: {
      enabled: logging.enabled === undefined ? true : Boolean(logging.enabled),
      topicConfig: decodeConfig(logging.topicConfig, nested(place, 'logging.topicConfig')),
      ...(logging.sourceTopic !== undefined
        ? { sourceTopic: expectString(logging.sourceTopic, nested(place, 'logging.sourceTopic')) }
        : {}),
    },
  };
  if (kind === 'window')
    return {
      ...common,
      kind,
      windowSizeMs: number('windowSizeMs'),
      retentionMs: number('retentionMs'),
      retainDuplicates: spec.retainDuplicates === true,
      ...(spec.timestamped === true ? { timestamped: true } : {}),
    };
  if (kind === 'session') return { ...common, kind, retentionMs: number('retentionMs') };
  if (kind === 'versioned-key-value')
    return { ...common, kind, historyRetentionMs: number('historyRetentionMs') };
  return { ...common, kind };
}

/** Rejects fields the form does not know, which are most often typos. `where` names the object. */
export function checkFields(object: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key))
      throw new TopologyError(`${where}: unknown field "${key}"; known fields: ${known.join(', ')}`);
  }
}
