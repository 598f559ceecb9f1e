import { describe, expect, it } from 'vitest';
import { TurnScheduler } from '../../src/common/event-loop-turns.ts';

/**
 * A scheduler on a clock the test moves: each slice "takes" the time it adds to the clock, and turns
 * are started by hand, so nothing depends on how fast the machine is.
 */
function harness(budgetMs: number) {
  let clock = 0;
  const turns: (() => void)[] = [];
  const scheduler = new TurnScheduler({ now: () => clock, budgetMs, defer: (run) => void turns.push(run) });
  const log: string[] = [];
  /** A loop of `slices` slices of `costMs` each, waiting for a turn before each. */
  async function loop(name: string, slices: number, costMs: number) {
    for (let i = 0; i < slices; i++) {
      await scheduler.nextTurn();
      clock += costMs;
      log.push(`${name}${i}@${clock}`);
    }
  }
  /** Runs the next turn to its end (its microtasks included). */
  async function turn(): Promise<string[]> {
    const run = turns.shift();
    if (!run) throw new Error('no turn was scheduled');
    const before = log.length;
    const started = clock;
    run();
    for (let i = 0; i < 50; i++) await Promise.resolve();
    const ran = log.slice(before);
    return [`${clock - started}ms`, ...ran];
  }
  return { scheduler, loop, turn, turns, advance: (ms: number) => (clock += ms) };
}

describe('turns of the event loop', () => {
  it('resumes waiting slices from every loop in one turn only while the budget lasts, the rest in the next', async () => {
    const { loop, turn, turns } = harness(5);
    void loop('a', 3, 2);
    void loop('b', 3, 2);
    void loop('c', 3, 2);
    expect(turns).toHaveLength(1);
    // a0 at 2, b0 at 4, c0 at 6: the budget ran out during c0, which is the one slice past it.
    expect(await turn()).toEqual(['6ms', 'a0@2', 'b0@4', 'c0@6']);
    // Those that waited longest go first.
    expect(await turn()).toEqual(['6ms', 'a1@8', 'b1@10', 'c1@12']);
    expect(await turn()).toEqual(['6ms', 'a2@14', 'b2@16', 'c2@18']);
    expect(turns).toHaveLength(0);
  });

  it('never runs a turn past its budget by more than one slice, whatever the number of slices waiting', async () => {
    const { loop, turn, turns } = harness(5);
    for (let i = 0; i < 40; i++) void loop(`l${i}`, 2, 1);
    let slices = 0;
    while (turns.length > 0) {
      const [spent, ...ran] = await turn();
      expect(Number.parseInt(spent!)).toBeLessThanOrEqual(5 + 1);
      expect(ran.length).toBeGreaterThan(0);
      slices += ran.length;
    }
    expect(slices).toBe(80);
  });

  it('gives a slice started outside a turn a deadline already past, and one started in a turn the turn’s end', async () => {
    const { scheduler, turn, advance } = harness(5);
    advance(100);
    expect(scheduler.due()).toBe(true);
    let deadline = 0;
    void scheduler.nextTurn().then(() => {
      deadline = scheduler.sliceDeadline();
    });
    advance(1);
    await turn();
    expect(deadline).toBe(106);
    expect(scheduler.pending).toBe(0);
  });

  it('lets other callbacks of the event loop run between turns', async () => {
    const { TurnScheduler: Real } = await import('../../src/common/event-loop-turns.ts');
    // A real scheduler whose slices each spend its whole budget: another immediate gets in between.
    let clock = 0;
    const scheduler = new Real({ now: () => clock, budgetMs: 5 });
    const order: string[] = [];
    const loop = async (name: string) => {
      for (let i = 0; i < 2; i++) {
        await scheduler.nextTurn();
        clock += 5;
        order.push(`${name}${i}`);
      }
    };
    const done = Promise.all([loop('a'), loop('b')]);
    setImmediate(() => order.push('io'));
    await done;
    expect(order).toEqual(['a0', 'io', 'b0', 'a1', 'b1']);
  });
});
