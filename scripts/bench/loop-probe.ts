// Loaded into a worker process with `node --import` by the catch-up benchmark (scripts/bench/catch-up.ts):
// every second it prints one JSON line, among the worker's own log lines, with
//  - loopMaxMs: the longest event-loop delay of that second (perf_hooks.monitorEventLoopDelay): wall
//    time, so on a loaded machine it includes the time the process waited for a core;
//  - cpuBurstMaxMs: the most CPU time the main thread spent between two turns of a 5 ms timer: how
//    long our code or the client's held the event loop, whatever the machine's load;
//  - the process's CPU time so far and its RSS.
// The worker's code is untouched: the same probe measures any checkout.
// In a worker with several stream threads, every thread loads it (`--import` applies to worker threads
// too) and says which it is (`thread`: 0 is the main thread).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';

const mainThreadCpuMs = () => {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1000;
};

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let lastCpu = mainThreadCpuMs();
let burstMax = 0;
const ticker = setInterval(() => {
  const cpu = mainThreadCpuMs();
  burstMax = Math.max(burstMax, cpu - lastCpu);
  lastCpu = cpu;
}, 5);
const reporter = setInterval(() => {
  const cpu = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({
      level: 30,
      time: Date.now(),
      msg: 'bench probe',
      thread: threadId,
      loopMaxMs: delay.max / 1e6,
      cpuBurstMaxMs: burstMax,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20),
    })}\n`,
  );
  delay.reset();
  burstMax = 0;
}, 1_000);
// The probe must not keep a stopping worker alive.
ticker.unref();
reporter.unref();
