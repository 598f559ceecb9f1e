/**
 * Field checks of the orders API beyond what the Avro schemas say: ranges of numbers (JSON lets
 * `1e309` through as infinity, which Avro writes as a double and JSON then shows as null), the syntax
 * of ids, known currencies, and sizes of text. Each failure is a 400 naming the field. A value of the
 * wrong JSON type is left to the schema check, which names the field and the type it expects.
 */
import { HttpError } from 'tributary';

/** Ids of orders and payments: short, and safe in a URL path segment and a log line as they are. */
export const MAX_ID_LENGTH = 64;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const ID_RULE = `1 to ${MAX_ID_LENGTH} characters: letters, digits, '.', '_' or '-', starting with a letter or digit`;

export const MIN_INT = -(2 ** 31);
export const MAX_INT = 2 ** 31 - 1;

/** ISO 4217 codes of the currencies payments may be made in (amounts are compared as they are, not converted). */
export const CURRENCIES = [
  'AUD',
  'CAD',
  'CHF',
  'CNY',
  'DKK',
  'EUR',
  'GBP',
  'JPY',
  'NOK',
  'NZD',
  'SEK',
  'USD',
] as const;

export function refuse(field: string, message: string): HttpError {
  return new HttpError(400, `${field}: ${message}`);
}

/** A value as an error message shows it: numbers as numbers, long text cut short. */
export function show(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value))
    return 'a number too large for a double (it overflows to infinity)';
  if (typeof value === 'string' && value.length > 40)
    return `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`;
  return JSON.stringify(value) ?? String(value);
}

export function checkId(value: unknown, field: string): void {
  if (typeof value !== 'string') return;
  if (value.length > MAX_ID_LENGTH)
    throw refuse(field, `expected at most ${MAX_ID_LENGTH} characters, got ${value.length}`);
  if (!ID_PATTERN.test(value)) throw refuse(field, `expected ${ID_RULE}; got ${show(value)}`);
}

/** An Avro int: a whole number of 32 bits. */
export function checkInt(value: unknown, field: string): void {
  if (typeof value === 'number' && !(Number.isInteger(value) && value >= MIN_INT && value <= MAX_INT))
    throw refuse(field, `expected a whole number from ${MIN_INT} to ${MAX_INT}, got ${show(value)}`);
}

/** An Avro long as JavaScript numbers hold it exactly: a whole number within ±(2^53 − 1). */
export function checkLong(value: unknown, field: string): void {
  if (typeof value === 'number' && !Number.isSafeInteger(value))
    throw refuse(
      field,
      `expected a whole number from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got ${show(value)}`,
    );
}

/** An amount of money: a finite number, at least 0 (or above 0 when `positive`). */
export function checkMoney(value: unknown, field: string, options: { positive: boolean }): void {
  if (typeof value !== 'number') return;
  if (!Number.isFinite(value)) throw refuse(field, `expected a finite number, got ${show(value)}`);
  if (options.positive ? value <= 0 : value < 0)
    throw refuse(
      field,
      `expected a number ${options.positive ? 'above' : 'of at least'} 0, got ${show(value)}`,
    );
}

export function checkCurrency(value: unknown, field: string): void {
  if (typeof value === 'string' && !(CURRENCIES as readonly string[]).includes(value))
    throw refuse(field, `expected a currency code, one of ${CURRENCIES.join(', ')}; got ${show(value)}`);
}

/** Text for people (names, addresses): not blank, at most `max` characters, no control characters. */
export function checkText(value: unknown, field: string, max: number): void {
  if (typeof value !== 'string') return;
  if (value.trim() === '') throw refuse(field, 'must not be blank');
  if (value.length > max) throw refuse(field, `expected at most ${max} characters, got ${value.length}`);
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) throw refuse(field, 'must not contain control characters');
}

export function checkEmail(value: unknown, field: string): void {
  checkText(value, field, 254);
  if (typeof value === 'string' && !/^[^\s@]+@[^\s@]+$/.test(value))
    throw refuse(field, `expected an email address (name@domain), got ${show(value)}`);
}
