import { describe, expect, it } from 'vitest';
import { settleAll } from '../../src/common/settle-all.ts';

describe('settleAll', () => {
  it('rejects with the first failure only once every promise has settled', async () => {
    let slowDone = false;
    const slow = new Promise<void>((resolve) =>
      setTimeout(() => {
        slowDone = true;
        resolve();
      }, 30),
    );
    const first = new Error('first');
    const outcome = settleAll([Promise.reject(first), slow, Promise.reject(new Error('second'))]);
    await expect(outcome).rejects.toBe(first);
    expect(slowDone).toBe(true);
  });

  it('resolves when every promise fulfils', async () => {
    await expect(settleAll([Promise.resolve(1), Promise.resolve('two')])).resolves.toBeUndefined();
    await expect(settleAll([])).resolves.toBeUndefined();
  });
});
