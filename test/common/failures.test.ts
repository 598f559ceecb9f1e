import { describe, expect, it } from 'vitest';
import { warnOnFailure } from '../../src/common/logger.ts';
import { toError } from '../../src/common/to-error.ts';
import type { ActiveTask } from '../../src/runtime/worker/active-task.ts';
import { TaskRegistry, type RunningTask } from '../../src/runtime/worker/task-registry.ts';
import { recordingLogger } from '../support/recording-logger.ts';

describe('failures that must not stop what is under way', () => {
  it('toError keeps an Error and turns anything else into one', () => {
    const error = new RangeError('out');
    expect(toError(error)).toBe(error);
    expect(toError('plain text')).toEqual(new Error('plain text'));
    expect(toError(42).message).toBe('42');
  });

  it('warnOnFailure logs at warn what was being done, the error and the context', () => {
    const { logger, warnings } = recordingLogger();
    warnOnFailure(logger, 'closing the producer', { task: '0_1' })(new Error('broker gone'));
    expect(warnings).toEqual([
      {
        fields: { task: '0_1', err: new Error('broker gone') },
        message: 'closing the producer failed: broker gone',
      },
    ]);
  });

  it('closing a task logs a store commit that failed, and closes the task and its producer anyway', async () => {
    const { logger, warnings } = recordingLogger();
    const registry = new TaskRegistry(new Map(), logger);
    const closed: string[] = [];
    const active = {
      inputs: [],
      task: { droppedRecords: new Map(), skippedByHandlers: 0 },
      commitStores: () => Promise.reject(new Error('disk full')),
      close: async () => void closed.push('task'),
    } as unknown as ActiveTask;
    const producer = {
      abort: () => Promise.reject(new Error('coordinator gone')),
      close: async () => void closed.push('producer'),
    } as unknown as RunningTask['producer'];
    const task: RunningTask = { active, producer, sender: undefined, transactionOpen: true };
    await registry.closeActive('0_3', task, { commitStores: true });
    expect(closed).toEqual(['task', 'producer']);
    expect(warnings.map((w) => [w.message, w.fields.task])).toEqual([
      ['aborting the closed task’s transaction failed: coordinator gone', '0_3'],
      ['persisting the closed task’s stores failed: disk full', '0_3'],
    ]);
  });
});
