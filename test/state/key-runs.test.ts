import { describe, expect, it } from 'vitest';
import { decodeBlock, BlockWriter } from '../../src/state/runs/block-codec.ts';
import { pickMerge, tier } from '../../src/state/runs/merge-policy.ts';
import { ArraySource, newestWins } from '../../src/state/runs/newest-wins.ts';
import { RunBuilder, type RunDescriptor, type RunShape } from '../../src/state/runs/run-builder.ts';
import { RunCursor, type SortedSource } from '../../src/state/runs/run-cursor.ts';

/** A deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Sorted distinct binary keys, long enough that a run of a few thousand has several levels of blocks. */
function longKeys(count: number, next: () => number): string[] {
  const keys = new Set<string>();
  while (keys.size < count) {
    const length = 200 + Math.floor(next() * 400);
    // A shared head like real keys have (prefix compression), then bytes from the whole range 0-255.
    let key = 'order-';
    for (let i = 0; i < length; i++) key += String.fromCharCode(Math.floor(next() * 256));
    keys.add(key);
  }
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Builds a run in memory; its blocks are read back (decoded) by the cursor. */
function buildRun(entries: [string, boolean][]): {
  run: RunDescriptor;
  read: (level: number, n: number) => Uint8Array;
} {
  const blocks = new Map<string, Uint8Array>();
  const builder = new RunBuilder((level, number, bytes) => blocks.set(`${level}/${number}`, bytes));
  for (const [key, tombstone] of entries) builder.add(key, tombstone);
  const run = { id: 1, ...builder.finish()! };
  return { run, read: (level, number) => blocks.get(`${level}/${number}`)! };
}

function cursor(
  run: RunDescriptor,
  read: (level: number, n: number) => Uint8Array,
  reverse: boolean,
): RunCursor {
  return new RunCursor(run, (_run, level, number) => decodeBlock(read(level, number)), reverse);
}

function drain(source: SortedSource, limit = Infinity): [string, boolean][] {
  const out: [string, boolean][] = [];
  while (source.key !== undefined && out.length < limit) {
    out.push([source.key, source.tombstone]);
    source.next();
  }
  return out;
}

describe('key runs: blocks', () => {
  it('round-trips keys of any bytes with their tombstone flags, and inner blocks with their first child', () => {
    const keys = ['', '\0', '\0\0', 'a', 'ab', 'ab\xff', 'b', '\xff\xff'];
    const writer = new BlockWriter();
    keys.forEach((key, i) => writer.add(key, i % 3 === 0));
    const leaf = decodeBlock(writer.finish());
    expect(leaf).toMatchObject({ leaf: true, keys });
    expect(leaf.leaf && [...leaf.tombstones]).toEqual(keys.map((_, i) => (i % 3 === 0 ? 1 : 0)));
    for (const key of keys) writer.add(key);
    expect(decodeBlock(writer.finish(123_456))).toEqual({ leaf: false, keys, firstChild: 123_456 });
  });
});

describe('key runs: one run', () => {
  const next = random(7);
  const keys = longKeys(3_000, next);
  const entries: [string, boolean][] = keys.map((key) => [key, next() < 0.2]);
  const { run, read } = buildRun(entries);

  it('is a tree of several levels over leaves numbered in key order', () => {
    expect(run.height).toBeGreaterThanOrEqual(2);
    expect(run.leaves).toBeGreaterThan(100);
    expect(run).toMatchObject({
      entries: 3_000,
      tombstones: entries.filter(([, t]) => t).length,
      first: keys[0],
      last: keys.at(-1),
    });
  });

  it('walks every key in both directions', () => {
    expect(drain(cursor(run, read, false).seek(undefined, true))).toEqual(entries);
    expect(drain(cursor(run, read, true).seek(undefined, true))).toEqual([...entries].reverse());
  });

  it('seeks to keys and between them, inclusive and exclusive, forward and reverse', () => {
    const targets = [
      ...Array.from({ length: 150 }, () => keys[Math.floor(next() * keys.length)]!),
      ...longKeys(150, next),
      '',
      'order-',
      '\xff',
    ];
    for (const target of targets)
      for (const inclusive of [true, false]) {
        const from = keys.findIndex((k) => (inclusive ? k >= target : k > target));
        const forward = from < 0 ? [] : entries.slice(from, from + 3);
        expect(drain(cursor(run, read, false).seek(target, inclusive), 3)).toEqual(forward);
        const upTo = keys.findLastIndex((k) => (inclusive ? k <= target : k < target));
        const backward = upTo < 0 ? [] : entries.slice(Math.max(0, upTo - 2), upTo + 1).reverse();
        expect(drain(cursor(run, read, true).seek(target, inclusive), 3)).toEqual(backward);
      }
  });

  it('holds a single key as a single leaf', () => {
    const single = buildRun([['only', false]]);
    expect(single.run).toMatchObject({ height: 0, leaves: 1 });
    expect(drain(cursor(single.run, single.read, true).seek('p', false))).toEqual([['only', false]]);
    expect(drain(cursor(single.run, single.read, true).seek('only', false))).toEqual([]);
    expect(drain(cursor(single.run, single.read, false).seek('only', false))).toEqual([]);
  });

  it('refuses keys out of order', () => {
    const builder = new RunBuilder(() => undefined);
    builder.add('b', false);
    expect(() => builder.add('a', false)).toThrow(/ascending/);
    expect(() => builder.add('b', false)).toThrow(/ascending/);
  });
});

describe('key runs: merging', () => {
  it('keeps the newest entry of each key, in both directions, up to a bound', () => {
    const newest = new ArraySource([
      ['b', true],
      ['d', false],
    ]);
    const older = new ArraySource([
      ['a', false],
      ['b', false],
      ['c', false],
      ['d', true],
    ]);
    expect([...newestWins([newest, older], false)]).toEqual([
      ['a', false],
      ['b', true],
      ['c', false],
      ['d', false],
    ]);
    const reversed = [
      new ArraySource([['c', true]]),
      new ArraySource([
        ['d', false],
        ['c', false],
        ['a', false],
      ]),
    ];
    expect([...newestWins(reversed, true, (key) => key < 'b')]).toEqual([
      ['d', false],
      ['c', true],
    ]);
  });

  it('merges a run with the runs of its tier or below behind it once there are four, newest first', () => {
    const run = (entries: number) => ({ entries }) as RunShape;
    expect(tier(run(4096))).toBe(0);
    expect(tier(run(4097))).toBe(1);
    expect(tier(run(4 * 4096 + 1))).toBe(2);
    const [t0, t1, t2] = [run(10), run(10_000), run(20_000)];
    expect(pickMerge([t0, t0, t0, t2, t2, t2])).toBeUndefined();
    expect(pickMerge([t0, t0, t0, t0, t2])).toEqual([t0, t0, t0, t0]);
    // A merge's result behind newer runs still merges with its peers.
    expect(pickMerge([t0, t2, t2, t2, t2])).toEqual([t2, t2, t2, t2]);
    // A large newer run takes the smaller ones behind it along.
    expect(pickMerge([t2, t0, t1, t0, t2, run(1e6)])).toEqual([t2, t0, t1, t0, t2]);
    expect(pickMerge([t1])).toBeUndefined();
  });

  it('keeps at most three runs per tier whatever the order runs come in', () => {
    const next = random(3);
    let runs: RunShape[] = [];
    for (let commit = 0; commit < 2_000; commit++) {
      // Mostly small commits, now and then a large one (a restore, a backlog).
      const entries = next() < 0.02 ? Math.floor(next() * 2e6) : 1 + Math.floor(next() * 20_000);
      runs = [{ entries } as RunShape, ...runs];
      for (let group = pickMerge(runs); group; group = pickMerge(runs)) {
        const at = runs.indexOf(group[0]!);
        const merged = { entries: group.reduce((n, r) => n + r.entries, 0) } as RunShape;
        runs = [...runs.slice(0, at), merged, ...runs.slice(at + group.length)];
      }
      expect(runs.length).toBeLessThanOrEqual(3 * (Math.max(...runs.map(tier)) + 1));
    }
  });
});
