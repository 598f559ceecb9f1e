import { TributaryError } from '../errors.ts';

const LEADER_WAIT_MS = 30_000;
const LOADING_WAIT_MS = 10_000;

/**
 * Waits until every partition of the topics has a leader, asked through whichever client an adapter
 * has (`leadersKnown` reads the metadata). A topic just created can answer "does not host this
 * topic-partition" for a moment even after the controller reported leaders.
 */
export async function waitForLeaders(
  topics: readonly string[],
  leadersKnown: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  for (;;) {
    try {
      if (await leadersKnown()) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new TributaryError(
        'TRIB_KAFKA',
        `topics ${topics.join(', ')} have no leader after ${LEADER_WAIT_MS} ms`,
        { retriable: true },
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Repeats an operation for a while as long as it fails with an answer a broker gives while a
 * partition or coordinator is still loading (`loading` says which, in the client's terms).
 */
export async function whileLoading<T>(
  operation: () => Promise<T>,
  loading: (error: unknown) => boolean,
): Promise<T> {
  const deadline = Date.now() + LOADING_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!loading(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 500)));
    }
  }
}
