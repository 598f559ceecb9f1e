// Every benchmark, one after another in this process, so their figures come from one machine in one
// state (`npm run bench`). A benchmark module either runs when imported or exports `run()`.
//
//   node --conditions=tributary-source scripts/bench/all.ts
import { loadavg } from 'node:os';
import { describeMachine } from './machine.ts';

interface Benchmark {
  readonly name: string;
  readonly load: () => Promise<{ run?: () => Promise<unknown> }>;
}

// ── The benchmarks: add one with one line here. ──────────────────────────────────────────────────
const benchmarks: Benchmark[] = [
  { name: 'engine (records/s through the test driver)', load: () => import('./engine.ts') },
  { name: 'stores (typed stores next to raw classic-level)', load: () => import('./stores.ts') },
  { name: 'orders (the reference system end to end)', load: () => import('./orders.ts') },
];
// ─────────────────────────────────────────────────────────────────────────────────────────────────

console.log(`Tributary benchmarks on ${describeMachine()}`);
console.log(
  `load average (1, 5, 15 min): ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);
for (const benchmark of benchmarks) {
  console.log(`\n## ${benchmark.name}\n`);
  const started = performance.now();
  const module = await benchmark.load();
  if (typeof module.run === 'function') await module.run();
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
