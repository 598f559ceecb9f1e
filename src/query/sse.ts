/** Server-sent events: writing a stream to a client, and reading one (from another worker, or in clients). */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

/** Comment lines keep proxies and idle timeouts from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** What EventSource clients wait before reconnecting after the stream ends (a rebalance). */
const RECONNECT_MS = 1_000;

/** One open event stream to a client. `onClose` runs once, however the stream ends. */
export class SseWriter {
  private readonly res: ServerResponse;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closers: (() => void)[] = [];
  private ended = false;

  constructor(req: IncomingMessage, res: ServerResponse) {
    this.res = res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RECONNECT_MS}\n\n`);
    this.heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
    req.on('close', () => this.end());
    res.on('close', () => this.end());
  }

  get closed(): boolean {
    return this.ended;
  }

  send(event: string, data: unknown): void {
    if (this.ended) return;
    this.res.write(formatEvent(event, JSON.stringify(data)));
  }

  /** Passes on an event read from another worker as it came. */
  forward(event: SseEvent): void {
    if (this.ended) return;
    this.res.write(formatEvent(event.event, event.data));
  }

  onClose(closer: () => void): void {
    if (this.ended) closer();
    else this.closers.push(closer);
  }

  /** Ends the stream, optionally with a last event saying why. */
  end(event?: string, data: unknown = {}): void {
    if (this.ended) return;
    if (event && !this.res.writableEnded) this.res.write(formatEvent(event, JSON.stringify(data)));
    this.ended = true;
    clearInterval(this.heartbeat);
    if (!this.res.writableEnded) this.res.end();
    for (const closer of this.closers.splice(0)) closer();
  }
}

function formatEvent(event: string, data: string): string {
  return `event: ${event}\n${data
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}

/** Splits a byte stream of server-sent events into events (comments and `retry` lines are skipped). */
export class SseParser {
  private buffer = '';

  push(chunk: string): SseEvent[] {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      let id: string | undefined;
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      if (data.length > 0) events.push({ event, data: data.join('\n'), ...(id === undefined ? {} : { id }) });
    }
    return events;
  }
}

/** Reads events from an HTTP response until it ends; resolves when it does. */
export function readEvents(response: IncomingMessage, onEvent: (event: SseEvent) => void): Promise<void> {
  const parser = new SseParser();
  response.setEncoding('utf8');
  return new Promise((resolve) => {
    response.on('data', (chunk: string) => {
      for (const event of parser.push(chunk)) onEvent(event);
    });
    response.on('end', () => resolve());
    response.on('close', () => resolve());
    response.on('error', () => resolve());
  });
}
