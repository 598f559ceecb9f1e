import { describe, expect, it } from 'vitest';
import { Serdes, SerdeError, type Serde, type SerdeContext } from 'tributary';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const valueOf = (topic: string): SerdeContext => ({ topic, part: 'value' });
const keyOf = (topic: string): SerdeContext => ({ topic, part: 'key' });

/** The error a call throws, asserting that it is a SerdeError. */
function serdeError(call: () => unknown): SerdeError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(SerdeError);
    expect((error as SerdeError).code).toBe('TRIB_SERDE');
    return error as SerdeError;
  }
  throw new Error('expected a SerdeError, nothing was thrown');
}

function roundTrip<T>(serde: Serde<T>, value: T): T {
  return serde.deserialize(serde.serialize(value));
}

describe('Serdes.String', () => {
  const serde = Serdes.String();

  it('writes UTF-8, as Kafka’s StringSerializer does', () => {
    expect(hex(serde.serialize('aé€😀'))).toBe('61c3a9e282acf09f9880');
    expect(serde.deserialize(fromHex('61c3a9e282acf09f9880'))).toBe('aé€😀');
    expect(roundTrip(serde, '')).toBe('');
  });

  it('refuses invalid UTF-8 instead of inventing replacement characters, naming topic and part', () => {
    const error = serdeError(() => serde.deserialize(fromHex('61ff62'), valueOf('words')));
    expect(error.message).toBe('bytes are not valid UTF-8 (value of topic "words")');
    // A lone surrogate half is invalid too.
    expect(serdeError(() => serde.deserialize(fromHex('eda080'), keyOf('words'))).message).toContain(
      '(key of topic "words")',
    );
  });

  it('its JSON form must be a string', () => {
    expect(serde.fromJson!('x')).toBe('x');
    expect(serdeError(() => serde.fromJson!(5, keyOf('t'))).message).toBe(
      'expected a string, got 5 (key of topic "t")',
    );
  });
});

describe('Serdes.Int (Kafka’s IntegerSerializer layout: 4 bytes, big-endian two’s complement)', () => {
  const serde = Serdes.Int();

  it.each([
    [0, '00000000'],
    [1, '00000001'],
    [-1, 'ffffffff'],
    [0x01020304, '01020304'],
    [2 ** 31 - 1, '7fffffff'],
    [-(2 ** 31), '80000000'],
  ])('%i is %s', (value, bytes) => {
    expect(hex(serde.serialize(value))).toBe(bytes);
    expect(serde.deserialize(fromHex(bytes))).toBe(value);
  });

  it('refuses numbers that are not 32-bit integers rather than truncating them', () => {
    expect(serdeError(() => serde.serialize(2 ** 31, valueOf('t'))).message).toBe(
      '2147483648 is not a 32-bit integer (value of topic "t")',
    );
    serdeError(() => serde.serialize(-(2 ** 31) - 1));
    serdeError(() => serde.serialize(1.5));
    serdeError(() => serde.serialize(Number.NaN));
  });

  it('refuses bytes of the wrong length, naming topic and part', () => {
    expect(serdeError(() => serde.deserialize(fromHex('000001'), keyOf('counts'))).message).toBe(
      'expected 4 bytes for an int, got 3 (key of topic "counts")',
    );
  });

  it('reads from a view into a larger buffer (byteOffset honoured)', () => {
    const buffer = fromHex('ff0000002aff');
    expect(serde.deserialize(buffer.subarray(1, 5))).toBe(42);
  });

  it('its JSON form must be an integer', () => {
    expect(serde.fromJson!(7)).toBe(7);
    serdeError(() => serde.fromJson!(7.5));
    serdeError(() => serde.fromJson!('7'));
  });
});

describe('Serdes.Long (Kafka’s LongSerializer layout: 8 bytes, big-endian), as a JS number', () => {
  const serde = Serdes.Long();

  it.each([
    [0, '0000000000000000'],
    [1, '0000000000000001'],
    [-1, 'ffffffffffffffff'],
    [1_700_000_000_000, '0000018bcfe56800'],
    [Number.MAX_SAFE_INTEGER, '001fffffffffffff'],
    [Number.MIN_SAFE_INTEGER, 'ffe0000000000001'],
  ])('%i is %s', (value, bytes) => {
    expect(hex(serde.serialize(value))).toBe(bytes);
    expect(serde.deserialize(fromHex(bytes))).toBe(value);
  });

  it('refuses integers beyond Number.MAX_SAFE_INTEGER both ways rather than rounding them', () => {
    expect(serdeError(() => serde.serialize(2 ** 53, valueOf('t'))).message).toBe(
      '9007199254740992 is not a safe integer for a long (value of topic "t")',
    );
    serdeError(() => serde.serialize(1.5));
    expect(serdeError(() => serde.deserialize(fromHex('0020000000000000'), keyOf('t'))).message).toBe(
      'long 9007199254740992 does not fit a JS number without losing precision (key of topic "t")',
    );
    serdeError(() => serde.deserialize(fromHex('8000000000000000')));
    serdeError(() => serde.fromJson!(2 ** 53));
  });

  it('refuses bytes of the wrong length', () => {
    expect(serdeError(() => serde.deserialize(fromHex('00000001'))).message).toBe(
      'expected 8 bytes for a long, got 4',
    );
  });
});

describe('Serdes.LongBigInt: the full 64-bit range as bigint', () => {
  const serde = Serdes.LongBigInt();

  it.each([
    [0n, '0000000000000000'],
    [-1n, 'ffffffffffffffff'],
    [2n ** 63n - 1n, '7fffffffffffffff'],
    [-(2n ** 63n), '8000000000000000'],
    [2n ** 53n + 1n, '0020000000000001'],
  ])('%s is %s', (value, bytes) => {
    expect(hex(serde.serialize(value))).toBe(bytes);
    expect(serde.deserialize(fromHex(bytes))).toBe(value);
  });

  it('refuses bigints outside the 64-bit range instead of wrapping them around', () => {
    expect(serdeError(() => serde.serialize(2n ** 63n, valueOf('t'))).message).toBe(
      '9223372036854775808 does not fit a 64-bit long (value of topic "t")',
    );
    serdeError(() => serde.serialize(-(2n ** 63n) - 1n));
  });

  it('its JSON form is a decimal string (JSON numbers cannot hold it); numbers are accepted too', () => {
    expect(serde.toJson!(2n ** 63n - 1n)).toBe('9223372036854775807');
    expect(serde.fromJson!('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(serde.fromJson!(12)).toBe(12n);
    expect(serdeError(() => serde.fromJson!('twelve', keyOf('t'))).message).toBe(
      'expected an integer, got "twelve" (key of topic "t")',
    );
    serdeError(() => serde.fromJson!(true));
    serdeError(() => serde.fromJson!('99999999999999999999'));
  });
});

describe('Serdes.Double (Kafka’s DoubleSerializer layout: IEEE 754, big-endian)', () => {
  const serde = Serdes.Double();

  it.each([
    [1.5, '3ff8000000000000'],
    [-2, 'c000000000000000'],
    [0, '0000000000000000'],
    [-0, '8000000000000000'],
    [Number.POSITIVE_INFINITY, '7ff0000000000000'],
    [0.1, '3fb999999999999a'],
  ])('%d is %s', (value, bytes) => {
    expect(hex(serde.serialize(value))).toBe(bytes);
    expect(Object.is(serde.deserialize(fromHex(bytes)), value)).toBe(true);
  });

  it('keeps NaN and refuses the wrong length', () => {
    expect(serde.deserialize(serde.serialize(Number.NaN))).toBeNaN();
    serdeError(() => serde.deserialize(fromHex('3ff8')));
    serdeError(() => serde.fromJson!('1.5'));
  });
});

describe('Serdes.Bytes', () => {
  const serde = Serdes.Bytes();

  it('passes bytes through; the JSON form is base64', () => {
    const bytes = fromHex('00ff10');
    expect(serde.serialize(bytes)).toBe(bytes);
    expect(serde.deserialize(bytes)).toBe(bytes);
    expect(serde.toJson!(bytes)).toBe('AP8Q');
    expect(hex(serde.fromJson!('AP8Q'))).toBe('00ff10');
    expect(serdeError(() => serde.fromJson!([0, 255], valueOf('raw'))).message).toBe(
      'expected base64 text, got [0,255] (value of topic "raw")',
    );
  });
});

describe('Serdes.Json', () => {
  const serde = Serdes.Json<unknown>();

  it('writes UTF-8 JSON text', () => {
    expect(Buffer.from(serde.serialize({ a: [1, 'é', null] })).toString('utf8')).toBe('{"a":[1,"é",null]}');
    expect(roundTrip(serde, { n: 1.25, nested: { ok: true } })).toEqual({ n: 1.25, nested: { ok: true } });
    expect(roundTrip(serde, 'text')).toBe('text');
  });

  it('refuses values JSON cannot hold and bytes that are not JSON, naming topic and part', () => {
    expect(serdeError(() => serde.serialize(undefined, valueOf('t'))).message).toBe(
      'value cannot be written as JSON (value of topic "t")',
    );
    expect(serdeError(() => serde.serialize(10n, valueOf('t'))).message).toMatch(
      /^value cannot be written as JSON \(value of topic "t"\): /,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    serdeError(() => serde.serialize(cyclic));
    const error = serdeError(() => serde.deserialize(fromHex('7b6e6f'), keyOf('events')));
    expect(error.message).toMatch(/^bytes are not valid JSON \(key of topic "events"\): /);
    serdeError(() => serde.deserialize(fromHex('22ff22')));
  });
});
