/**
 * Polls until `check` resolves, and returns what it resolved with; after `timeoutMs` (or as soon as
 * `stopWhen` says waiting is pointless, e.g. a process exited) it fails with the check's last error.
 */
export async function eventually<T>(
  check: () => Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; stopWhen?: () => boolean } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline || options.stopWhen?.()) throw error;
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
    }
  }
}
