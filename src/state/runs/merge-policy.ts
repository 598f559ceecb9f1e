import type { RunShape } from './run-builder.ts';

/** Runs of about the same size that accumulate before they are merged into one. */
export const RUNS_PER_TIER = 4;
/** Entries of the smallest tier: the runs a commit writes are usually at most this large. */
const BASE_ENTRIES = 4096;

/** A run's tier: 0 up to BASE_ENTRIES entries, one more for every RUNS_PER_TIER times as many. */
export function tier(run: RunShape): number {
  let tier = 0;
  for (let size = BASE_ENTRIES; run.entries > size; size *= RUNS_PER_TIER) tier++;
  return tier;
}

/**
 * Which runs to merge next, from a list newest first; undefined when none need it. Runs merge only
 * with their neighbours in age, so a merged run takes their place in the age order and the newest
 * entry of a key is still found first.
 *
 * A run merges with the runs right behind it that are of its tier or below once there are
 * RUNS_PER_TIER of them, the newest such group first. So a key is rewritten about once per tier
 * (log4 of the store's size over a commit's), and the list cannot grow past RUNS_PER_TIER - 1 runs per
 * tier: without a merge due, every run has a run of a higher tier among the RUNS_PER_TIER - 1 behind
 * it.
 */
export function pickMerge<R extends RunShape>(runs: readonly R[]): R[] | undefined {
  for (let first = 0; first + RUNS_PER_TIER <= runs.length; first++) {
    const top = tier(runs[first]!);
    let end = first + 1;
    while (end < runs.length && tier(runs[end]!) <= top) end++;
    if (end - first >= RUNS_PER_TIER) return runs.slice(first, end);
  }
  return undefined;
}
