import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/logging.ts';
import { withBindings } from '../../src/common/logger.ts';
import { prettyLine } from '../../src/runtime/pretty-log.ts';
import { repeatedKeys, topLevelKeys } from '../support/log-lines.ts';

/** 12:34:56.789 local time on the day of `at`, so the expected clock reading does not depend on the time zone. */
const at = new Date(2026, 0, 2, 12, 34, 56, 789).getTime();

describe('the pretty log format', () => {
  it('puts time, level name and message first, then the fields, bare words bare and the rest as JSON', () => {
    const json = JSON.stringify({
      level: 30,
      levelName: 'info',
      time: at,
      pid: 1,
      hostname: 'h',
      name: 'tributary',
      app: 'orders',
      task: '1_0',
      store: 'order-totals',
      records: 12,
      topics: ['a', 'b c'],
      msg: 'store restored',
    });
    expect(prettyLine(json, false)).toBe(
      '12:34:56.789 INFO  store restored  app=orders task=1_0 store=order-totals records=12 topics=["a","b c"]\n',
    );
  });

  it("prints an error's stack and its other fields under the line, and colors only when asked", () => {
    const json = JSON.stringify({
      level: 50,
      levelName: 'error',
      time: at,
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at here', code: 'E_BOOM' },
      msg: 'application failed: boom',
    });
    expect(prettyLine(json, false)).toBe(
      '12:34:56.789 ERROR application failed: boom\n    Error: boom\n        at here\n    {"code":"E_BOOM"}\n',
    );
    expect(prettyLine(json, true)).toContain('\x1b[31mERROR\x1b[0m');
  });

  it('shows an `err` that is not an error object as a field', () => {
    expect(prettyLine(JSON.stringify({ levelName: 'warn', time: at, err: 'timeout', msg: 'x' }), false)).toBe(
      '12:34:56.789 WARN  x  err=timeout\n',
    );
  });

  it('passes a line that is not JSON through', () => {
    expect(prettyLine('not json', false)).toBe('not json\n');
  });

  it('is what createLogger writes for format "pretty", with bound fields once', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      format: 'pretty',
      destination: { write: (l) => lines.push(l) },
    });
    withBindings(withBindings(logger, { app: 'orders' }), { task: '0_1' }).warn({ n: 1 }, 'late record');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}late record {2}app=orders task=0_1 n=1\n$/);
  });
});

describe('JSON log lines', () => {
  it('carry the level as a number and as a name', () => {
    const lines: string[] = [];
    createLogger({ level: 'debug', format: 'json', destination: { write: (l) => lines.push(l) } }).debug(
      {},
      'x',
    );
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 20, levelName: 'debug', msg: 'x' });
  });

  it('are checked for repeated keys at their top level only', () => {
    expect(topLevelKeys('{"a":1,"b":{"a":2,"c":[{"a":3}]},"s":"x\\":y","d" : 4}')).toEqual([
      'a',
      'b',
      's',
      'd',
    ]);
    expect(repeatedKeys('{"task":"2_0","app":"x","task":"2_0"}')).toEqual(['task']);
    expect(repeatedKeys('{"task":"2_0","nested":{"task":"2_0"}}')).toEqual([]);
    expect(topLevelKeys('{"a":1,"b":"cut sho')).toEqual(['a', 'b']);
  });
});
