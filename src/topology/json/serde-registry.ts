/**
 * Serdes by name: the JSON form of a topology names each serde (`string`, `avro:Order`,
 * `windowed(string,60000)`, or a name the user registered) and loading resolves the names back.
 */
import { SerdeError } from '../../errors.ts';
import type { AvroSchemas } from '../../serde/avro.ts';
import {
  bytesSerde,
  doubleSerde,
  intSerde,
  jsonSerde,
  longBigIntSerde,
  longSerde,
  stringSerde,
} from '../../serde/primitives.ts';
import type { Serde } from '../../serde/serde.ts';
import { sessionWindowedSerde, timeWindowedSerde } from '../../serde/windowed.ts';
import type { AnySerde } from '../ir.ts';

const builtins: Readonly<Record<string, () => AnySerde>> = {
  string: () => stringSerde(),
  json: () => jsonSerde(),
  int: () => intSerde(),
  long: () => longSerde(),
  'long-bigint': () => longBigIntSerde(),
  double: () => doubleSerde(),
  bytes: () => bytesSerde(),
};

export interface SerdeResolveOptions {
  /** The user's serdes by name; a name here wins over a built-in one. */
  readonly serdes?: Readonly<Record<string, Serde<unknown>>>;
  /** Resolves `avro:<Type>` names. */
  readonly avroSchemas?: AvroSchemas;
  /** Stand in for unknown names with serdes that fail when used (for describing and diffing only). */
  readonly placeholders?: boolean;
}

/** The name a serde is written under in the JSON form; it must be a non-empty string. */
export function serdeName(serde: Serde<unknown>): string | undefined {
  // Typed as a string, but a serde written in JavaScript may have none.
  const name: unknown = serde.name;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

/** Resolves a serde name; throws a SerdeError saying which names are known when it cannot. */
export function resolveSerde(name: string, options: SerdeResolveOptions = {}): AnySerde {
  const user = options.serdes?.[name];
  if (user) return user;
  const builtin = builtins[name];
  if (builtin) return builtin();

  const windowed = /^windowed\((?<inner>.+),(?<sizeMs>\d+)\)$/.exec(name)?.groups;
  if (windowed?.inner !== undefined)
    return timeWindowedSerde(resolveSerde(windowed.inner, options), Number(windowed.sizeMs));
  const session = /^session-windowed\((?<inner>.+)\)$/.exec(name)?.groups;
  if (session?.inner !== undefined) return sessionWindowedSerde(resolveSerde(session.inner, options));

  if (name.startsWith('avro:')) {
    if (options.avroSchemas) {
      try {
        return options.avroSchemas.serde(name.slice('avro:'.length));
      } catch (error) {
        if (!options.placeholders) throw error;
      }
    } else if (!options.placeholders) {
      throw new SerdeError(`serde "${name}" needs Avro schemas: pass avroSchemas to resolve it`);
    }
  }
  if (options.placeholders) return placeholderSerde(name);
  const known = [...Object.keys(builtins), ...Object.keys(options.serdes ?? {})];
  throw new SerdeError(
    `unknown serde "${name}"; known: ${known.join(', ')}, avro:<Type>, windowed(<serde>,<size ms>), session-windowed(<serde>)`,
  );
}

/** A serde that only carries a name: enough to describe a topology, not to run it. */
export function placeholderSerde(name: string): AnySerde {
  const fail = (): never => {
    throw new SerdeError(`serde "${name}" was not provided; it is a placeholder and cannot be used`);
  };
  return { name, serialize: fail, deserialize: fail };
}
