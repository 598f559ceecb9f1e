/**
 * How the page talks to the worker that served it: JSON over fetch, and server-sent events read from
 * a fetch body (not EventSource, which cannot send the bearer token an endpoint may ask for). The
 * token, when one is needed, is kept for the browser tab only (sessionStorage).
 */
const TOKEN_KEY = 'tributary-console-token';

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

type Listener = () => void;
const authListeners = new Set<Listener>();

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Called when an endpoint answers 401: the page asks for a token. */
export function onUnauthorized(listener: Listener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const value = token();
  return value ? { ...extra, authorization: `Bearer ${value}` } : extra;
}

/** A parsed JSON object, whose fields are there to be checked. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a failure says, whatever was thrown. */
export function messageOf(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}

async function failure(response: Response): Promise<ApiError> {
  let message = `HTTP ${response.status}`;
  try {
    const body: unknown = await response.json();
    if (isObject(body) && typeof body.error === 'string' && body.error !== '') message = body.error;
  } catch {
    // not JSON: the status says it
  }
  if (response.status === 401) for (const listener of authListeners) listener();
  return new ApiError(response.status, message);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { headers: headers({ accept: 'application/json' }), signal });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

/** POST or PUT a JSON body; resolves with the JSON answer. */
export async function sendJson<T>(method: 'POST' | 'PUT', path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: headers({ accept: 'application/json', 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

export interface StreamEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * Follows a server-sent event stream until `signal` aborts, reconnecting after the stream ends (a
 * rebalance moves keys) or fails. `onState` says whether it is connected, and why not.
 */
export async function followEvents(
  path: string,
  onEvent: (event: StreamEvent) => void,
  onState: (state: { connected: boolean; error?: string }) => void,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    const used = token();
    let refused = false;
    try {
      const response = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal });
      if (!response.ok || !response.body) throw await failure(response);
      onState({ connected: true });
      await readEvents(response.body, onEvent);
      onState({ connected: false, error: 'the stream ended (keys may have moved); reconnecting' });
    } catch (error) {
      if (signal.aborted) return;
      refused = error instanceof ApiError && error.status === 401;
      onState({ connected: false, error: messageOf(error) });
    }
    // Refused for want of a token: try again once the page has another one, not every second.
    do await new Promise((resolve) => setTimeout(resolve, 1000));
    while (refused && token() === used && !signal.aborted);
  }
}

async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: StreamEvent) => void) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) {
        const parsed: unknown = JSON.parse(data.join('\n'));
        onEvent({ event, data: parsed });
      }
    }
  }
}
