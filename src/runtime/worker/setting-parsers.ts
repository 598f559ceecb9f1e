/**
 * How the worker's settings read their raw values (a flag's text, an environment variable, a value of
 * the JSON config file). Each names the setting and where it came from (`where`) when it refuses one.
 */
import { accessSync, constants } from 'node:fs';
import { ConfigError } from '../../errors.ts';

export type Parser<T> = (raw: unknown, where: string) => T;

export const text: Parser<string> = (raw, where) => {
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new ConfigError(`${where} must be a non-empty string, got ${JSON.stringify(raw)}`);
  return raw.trim();
};

export const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (raw, where) => {
    const value =
      typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${where} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };

export const oneOf =
  <T extends string>(...choices: T[]): Parser<T> =>
  (raw, where) => {
    const value = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
    if (!choices.includes(value as T))
      throw new ConfigError(`${where} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
    return value as T;
  };

export const boolean: Parser<boolean> = (raw, where) => {
  if (typeof raw === 'boolean') return raw;
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (['true', 'yes', '1', 'on'].includes(value)) return true;
  if (['false', 'no', '0', 'off'].includes(value)) return false;
  throw new ConfigError(`${where} must be true or false, got ${JSON.stringify(raw)}`);
};

/** A path to a file the worker can read (checked now, so a typo fails at start, not at first use). */
export const readableFile: Parser<string> = (raw, where) => {
  const path = text(raw, where);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new ConfigError(`${where}: cannot read the file ${path}`);
  }
  return path;
};

export const httpUrl: Parser<string> = (raw, where) => {
  const value = text(raw, where);
  if (!/^https?:\/\/[^\s]+$/.test(value))
    throw new ConfigError(`${where} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  return value;
};

/** `key=value,key=value`, or an object in the config file. */
export const keyValues: Parser<Record<string, string>> = (raw, where) => {
  if (raw && typeof raw === 'object' && !Array.isArray(raw))
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
  const pairs: Record<string, string> = {};
  for (const entry of text(raw, where).split(',')) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new ConfigError(`${where}: "${entry.trim()}" is not key=value`);
    pairs[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return pairs;
};

/** A comma-separated list, or an array in the config file. */
export const list: Parser<string[]> = (raw, where) => {
  const items = Array.isArray(raw) ? raw.map(String) : text(raw, where).split(',');
  return items.map((item) => item.trim()).filter((item) => item !== '');
};
