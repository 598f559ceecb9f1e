// The faults a chaos experiment applies to the running system, one at a time.
import { rmSync } from 'node:fs';
import type { ChaosKafka } from './brokers.ts';
import type { Feeder } from './feeder.ts';
import type { WorkerPool } from './workers.ts';

export const FAULTS = {
  'kill-one': 'SIGKILL of one worker, started again 2 s later on its state',
  'kill-two': 'SIGKILL of two workers at once, started again 2 s later',
  wipe: 'SIGKILL of one worker, its state directory deleted, started again 2 s later',
  'scale-in': 'scale to one worker: the others stop gracefully (SIGTERM)',
  'scale-out': 'scale back to three workers',
  broker: 'SIGKILL of a broker, started again on its data 3 s later',
  poison: 'records no application can read, fed to `orders`',
} as const;
export type Fault = keyof typeof FAULTS;

export const LONG_FAULTS: readonly Fault[] = [
  'kill-one',
  'poison',
  'kill-two',
  'wipe',
  'scale-in',
  'scale-out',
  'kill-one',
  'broker',
  'kill-one',
  'broker',
];

/** The short version (`--short`, and test/chaos/ in `npm test`): a few faults, a few minutes. */
export const SHORT = {
  topology: 'single',
  guarantee: 'exactly-once',
  orders: 300,
  feedMs: 120_000,
  faults: ['kill-one', 'poison', 'wipe', 'kill-one'],
} as const satisfies { faults: readonly Fault[] } & Record<string, unknown>;

/**
 * The short version on the 3-node cluster (`--short --kafka cluster`, `npm run chaos:cluster`): one
 * broker SIGKILLed and restarted while the orders flow, exactly-once. Not in `npm test`: three brokers
 * more on the machine would take its chaos part past a few minutes.
 */
export const SHORT_CLUSTER = {
  ...SHORT,
  topology: 'cluster',
  faults: ['broker'],
} as const satisfies { faults: readonly Fault[] } & Record<string, unknown>;

export const POISON_KEY_PREFIX = 'poison-';
export const POISON_PER_FAULT = 3;

export interface FaultContext {
  readonly kafka: ChaosKafka;
  readonly workers: WorkerPool;
  readonly feeder: Feeder;
  sendPoison(count: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Applies a fault and undoes it where it is a transient one; resolves once it is undone. */
export async function apply(fault: Fault, context: FaultContext): Promise<string> {
  const { kafka, workers, feeder } = context;
  switch (fault) {
    case 'kill-one':
    case 'kill-two':
    case 'wipe': {
      const victims = workers.running().slice(0, fault === 'kill-two' ? 2 : 1);
      await Promise.all(victims.map((i) => workers.kill(i)));
      if (fault === 'wipe')
        for (const i of victims) rmSync(workers.stateDir(i), { recursive: true, force: true });
      await sleep(2_000);
      for (const i of victims) workers.start(i);
      return `workers ${victims.join(', ')}`;
    }
    case 'scale-in': {
      const stopping = workers.running().slice(1);
      await Promise.all(stopping.map((i) => workers.stop(i)));
      return `stopped workers ${stopping.join(', ')}`;
    }
    case 'scale-out': {
      const starting = workers.stopped();
      for (const i of starting) workers.start(i);
      return `started workers ${starting.join(', ')}`;
    }
    case 'broker': {
      const node = kafka.nextVictim();
      // The only broker down: the source waits for it, as a producer would.
      if (kafka.topology === 'single') feeder.pause();
      kafka.kill(node);
      await sleep(3_000);
      try {
        await kafka.restart(node);
      } finally {
        feeder.unpause();
      }
      return `broker ${node}`;
    }
    case 'poison':
      await context.sendPoison(POISON_PER_FAULT);
      return `${POISON_PER_FAULT} records`;
  }
}
