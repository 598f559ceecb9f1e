// Loaded into a worker process with `node --import` to see where its memory goes, e.g. through
// `BENCH_TRIBUTARY_NODE_OPTIONS=--import=$PWD/scripts/bench/memory-probe.ts npm run bench:jvm -- ...`.
// Every second (and once at exit) it appends one JSON line to the file named by MEMORY_PROBE_FILE
// (default: stderr) with, in MiB:
//  - rss, and from /proc/self/status its anonymous and file-backed parts (RssAnon, RssFile) and the peak (VmHWM);
//  - V8's heap: total and used, and per space (new, old, code, large object...) its size and used part;
//  - external memory and array buffers (Buffers of fetched and produced records live there);
//  - what remains outside V8 and its buffers: anonymous RSS less heap total and array buffers
//    (LevelDB's write buffers and block caches, malloc's slack, thread stacks, code).
// The worker's code is untouched: the same probe measures any checkout.
import { appendFileSync, readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';

const MiB = 2 ** 20;
const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
const target = process.env.MEMORY_PROBE_FILE;
const startedAt = Date.now();

function statusKiB(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

function sample(): string {
  const usage = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const anon = statusKiB(status, 'RssAnon') * 1024;
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics().map((s) => [
      s.space_name.replace(/_space$/, ''),
      [mib(s.space_size), mib(s.space_used_size)],
    ]),
  );
  return JSON.stringify({
    t: Math.round((Date.now() - startedAt) / 100) / 10,
    thread: threadId,
    rss: mib(usage.rss),
    anon: mib(anon),
    file: mib(statusKiB(status, 'RssFile') * 1024),
    hwm: mib(statusKiB(status, 'VmHWM') * 1024),
    heapTotal: mib(usage.heapTotal),
    heapUsed: mib(usage.heapUsed),
    external: mib(usage.external),
    arrayBuffers: mib(usage.arrayBuffers),
    outsideV8: mib(anon - usage.heapTotal - usage.arrayBuffers),
    spaces,
  });
}

function write(line: string): void {
  if (target) appendFileSync(target, `${line}\n`);
  else process.stderr.write(`${line}\n`);
}

const timer = setInterval(() => write(sample()), 1_000);
// The probe must not keep a stopping worker alive.
timer.unref();
process.on('exit', () => write(sample()));
