import { useEffect, useRef, useState } from 'preact/hooks';
import { followEvents, messageOf } from './api.ts';

export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  /** When the last answer came. */
  readonly at: number | undefined;
  refresh(): void;
}

/**
 * Calls `load` now and every `intervalMs` while the page is visible (a hidden tab asks nothing), one
 * call at a time, keeping the last answer when a call fails.
 */
export function usePoll<T>(
  load: (signal: AbortSignal) => Promise<T>,
  intervalMs: number,
  deps: unknown[] = [],
): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; at?: number }>({});
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (document.visibilityState === 'visible') {
        try {
          const data = await loadRef.current(controller.signal);
          if (controller.signal.aborted) return;
          setState({ data, at: Date.now() });
        } catch (error) {
          if (controller.signal.aborted) return;
          setState((previous) => ({ ...previous, error: messageOf(error) }));
        }
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void run(), intervalMs);
    };
    const onVisible = () => {
      if (document.visibilityState !== 'visible') return;
      clearTimeout(timer);
      void run();
    };
    document.addEventListener('visibilitychange', onVisible);
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [intervalMs, tick, ...deps]);
  return { data: state.data, error: state.error, at: state.at, refresh: () => setTick((t) => t + 1) };
}

/** The part of the URL after `#`, as path segments: `#/stores/orders-store` → ['stores', 'orders-store']. */
export function useHashRoute(): string[] {
  const read = () =>
    location.hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(...segments: string[]): void {
  location.hash = `#/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

export interface Followed<T> {
  /** The last event's data. */
  readonly data: T | undefined;
  /** Why the stream is not connected now (the last data stays shown). */
  readonly error: string | undefined;
}

/** Follows a server-sent event stream while mounted, keeping the data of its last `event`. */
export function useEventStream<T>(path: string, event: string): Followed<T> {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  useEffect(() => {
    const controller = new AbortController();
    void followEvents(
      path,
      (received) => {
        if (received.event === event) setState({ data: received.data as T });
      },
      ({ connected, error }) =>
        setState((previous) => ({ ...previous, error: connected ? undefined : error })),
      controller.signal,
    );
    return () => controller.abort();
  }, [path, event]);
  return { data: state.data, error: state.error };
}
