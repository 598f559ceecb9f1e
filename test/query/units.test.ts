import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { HttpError, Serdes, avroSerde } from 'tributary';
import { Router } from '../../src/http/router.ts';
import { hex, keyToText, parseKey, prefixBytes } from '../../src/query/keys.ts';
import { mergePages, type QueryEntry } from '../../src/query/local-reads.ts';
import { PrometheusText } from '../../src/query/prometheus.ts';
import { ownersOf } from '../../src/query/routing.ts';
import { SseParser } from '../../src/query/sse.ts';
import { Histogram } from '../../src/runtime/histogram.ts';

describe('keys in URLs', () => {
  const customer = avroSerde<{ id: number; region: string }>(
    avro.Type.forSchema({
      type: 'record',
      name: 'CustomerKey',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'region', type: 'string' },
      ],
    }),
  );

  it('reads each serde’s keys: strings as they are, numbers parsed, JSON and Avro as JSON', () => {
    expect(parseKey(Serdes.String(), '{"a":1}', 'k')).toBe('{"a":1}');
    expect(parseKey(Serdes.Long(), '42', 'k')).toBe(42);
    expect(parseKey(Serdes.Int(), '-7', 'k')).toBe(-7);
    expect(parseKey(Serdes.Double(), '2.5', 'k')).toBe(2.5);
    expect(parseKey(Serdes.LongBigInt(), '9223372036854775807', 'k')).toBe(9223372036854775807n);
    expect(parseKey(Serdes.Json(), '{"a":[1,2]}', 'k')).toEqual({ a: [1, 2] });
    expect(parseKey(Serdes.Json(), 'apple', 'k')).toBe('apple');
    expect(parseKey(Serdes.Json(), '"123"', 'k')).toBe('123');
    expect(parseKey(customer, '{"id":5,"region":"eu"}', 'k')).toEqual({ id: 5, region: 'eu' });
    expect(parseKey(Serdes.Bytes(), 'AQID', 'k')).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('refuses keys the serde cannot take, naming the key and the reason', () => {
    const fails = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(HttpError);
        expect((error as HttpError).status).toBe(400);
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    expect(fails(() => parseKey(Serdes.Long(), 'x', 'key "x"'))).toBe(
      'key "x" cannot be read as a long key: "x" is not a number',
    );
    expect(fails(() => parseKey(Serdes.Long(), '', 'key ""'))).toBe(
      'key "" cannot be read as a long key: "" is not a number',
    );
    expect(fails(() => parseKey(Serdes.Int(), '3000000000', 'key'))).toBe(
      'key is not a valid int key: 3000000000 is not a 32-bit integer',
    );
    expect(fails(() => parseKey(customer, '{"id":"five"}', 'key'))).toMatch(
      /^key cannot be read as a avro:CustomerKey key: value does not match Avro type CustomerKey: id: expected long, got "five"; region: expected string, got nothing/,
    );
    expect(fails(() => parseKey(customer, 'five', 'key'))).toMatch(
      /^key cannot be read as a avro:CustomerKey key: "five" is not JSON/,
    );
  });

  it('writes keys so that they read back', () => {
    const cases: [Parameters<typeof keyToText>[0], unknown][] = [
      [Serdes.String(), 'a b/c'],
      [Serdes.Long(), 42],
      [Serdes.Json(), { a: 1 }],
      [Serdes.Json(), '123'],
      [Serdes.LongBigInt(), 5n],
      [customer, { id: 1, region: 'us' }],
    ];
    for (const [serde, key] of cases) expect(parseKey(serde, keyToText(serde, key), 'k')).toEqual(key);
  });

  it('turns a JSON string prefix into a prefix of the JSON text', () => {
    expect(Buffer.from(prefixBytes(Serdes.Json(), 'app')).toString()).toBe('"app');
    expect(Buffer.from(prefixBytes(Serdes.String(), 'app')).toString()).toBe('app');
  });

  it('orders hex strings exactly as the bytes they encode', () => {
    const keys = [[0xff], [0x01, 0x00], [0x01], [], [0x00, 0xff], [0x7f]].map((b) => new Uint8Array(b));
    const byBytes = [...keys].sort((x, y) => Buffer.compare(x, y)).map(hex);
    expect([...keys].map(hex).sort()).toEqual(byBytes);
  });
});

describe('merging partitions', () => {
  const entry = (keyHex: string, start?: number): QueryEntry => ({
    key: keyHex,
    value: 1,
    keyHex,
    ...(start === undefined ? {} : { window: { start, end: start + 10 } }),
  });

  it('orders by key bytes, then window, and applies the limit to the whole', () => {
    const merged = mergePages(
      [
        { entries: [entry('01'), entry('05')], truncated: false },
        { entries: [entry('02', 20), entry('02', 10), entry('06')], truncated: false },
      ],
      4,
    );
    expect(merged.entries.map((e) => [e.keyHex, e.window?.start])).toEqual([
      ['01', undefined],
      ['02', 10],
      ['02', 20],
      ['05', undefined],
    ]);
    expect(merged.truncated).toBe(true);
    expect(mergePages([{ entries: [entry('01')], truncated: true }], 5).truncated).toBe(true);
  });
});

describe('routing', () => {
  it('finds the active and standby endpoints of a task', () => {
    const assignment = {
      active: [],
      standby: [],
      rebalance: '',
      handoffs: [],
      releases: [],
      endpoints: {
        'a:1': { active: ['0_0', '1_0'], standby: ['0_1'] },
        'b:1': { active: ['0_1'], standby: ['0_0'] },
        'c:1': { active: [], standby: ['0_0'] },
      },
    };
    expect(ownersOf(assignment, '0_0')).toEqual({ active: 'a:1', standby: ['b:1', 'c:1'] });
    expect(ownersOf(assignment, '0_1')).toEqual({ active: 'b:1', standby: ['a:1'] });
    expect(ownersOf(assignment, '0_9')).toEqual({ active: undefined, standby: [] });
  });
});

describe('the router', () => {
  const router = new Router<string>();
  router.add('GET', '/stores/:store', 'store');
  router.add('GET', '/stores/:store/keys/:key', 'key');
  router.add('POST', '/stores/:store', 'post');
  router.add('GET', '/stores/special', 'special');

  it('matches parameters (decoded) and prefers literal segments', () => {
    expect(router.match('GET', '/stores/a%20b/keys/x%2Fy')).toMatchObject({
      handler: 'key',
      pattern: '/stores/:store/keys/:key',
      params: { store: 'a b', key: 'x/y' },
    });
    expect(router.match('GET', '/stores/special').handler).toBe('special');
    expect(router.match('HEAD', '/stores/x').handler).toBe('store');
  });

  it('says 405 with the methods a path has, and 404 for unknown paths', () => {
    expect(() => router.match('DELETE', '/stores/x')).toThrow(
      'DELETE is not supported on /stores/x; use GET or POST',
    );
    expect(() => router.match('GET', '/other')).toThrow('no route for GET /other');
  });
});

describe('server-sent events', () => {
  it('splits a stream into events, across chunk boundaries, with multi-line data, CRLF and comments', () => {
    const parser = new SseParser();
    expect(parser.push('retry: 1000\n\nevent: change\ndata: {"a"')).toEqual([]);
    expect(parser.push(':1}\n\n: ping\n\nevent: two\r\ndata: x\r\ndata: y\r\nid: 7\r\n\r\n')).toEqual([
      { event: 'change', data: '{"a":1}' },
      { event: 'two', data: 'x\ny', id: '7' },
    ]);
    expect(parser.push('data: plain\n\n')).toEqual([{ event: 'message', data: 'plain' }]);
  });
});

describe('Prometheus text', () => {
  it('writes families once, escapes labels, and writes histograms cumulatively', () => {
    const histogram = new Histogram([0.1, 1]);
    for (const value of [0.05, 0.5, 0.5, 5]) histogram.observe(value);
    const text = new PrometheusText()
      .family('x_total', 'counter', 'Things\ncounted')
      .sample('x_total', { app: 'a"b\\c' }, 3)
      .family('x_total', 'counter', 'again')
      .family('lat', 'histogram', 'Latency')
      .histogram('lat', { app: 'a' }, histogram)
      .toString();
    expect(text).toBe(
      [
        '# HELP x_total Things\\ncounted',
        '# TYPE x_total counter',
        'x_total{app="a\\"b\\\\c"} 3',
        '# HELP lat Latency',
        '# TYPE lat histogram',
        'lat_bucket{app="a",le="0.1"} 1',
        'lat_bucket{app="a",le="1"} 3',
        'lat_bucket{app="a",le="+Inf"} 4',
        'lat_sum{app="a"} 6.05',
        'lat_count{app="a"} 4',
        '',
      ].join('\n'),
    );
  });
});
