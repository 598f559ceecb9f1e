/**
 * Waits for every promise to settle, then rejects with the first failure, if any. Unlike
 * `Promise.all`, nothing is left running behind a failure: a caller that reacts to it by closing
 * what those promises use (producers, stores) does not close it under work still in flight, and that
 * work cannot fail, or log, after the caller has moved on.
 */
export async function settleAll(promises: Iterable<Promise<unknown>>): Promise<void> {
  const failure = (await Promise.allSettled(promises)).find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}
