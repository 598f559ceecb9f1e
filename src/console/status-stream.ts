/**
 * `GET /console/api/status/events`: the cluster's status as server-sent events, one `status` event
 * (the body of `GET /console/api/status`) right away and then after every sample the workers take, so
 * the task view moves as the figures do without asking again. One gathering at a time per stream: a
 * slow peer delays the next event, it does not pile up requests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../errors.ts';
import type { HttpRequest } from '../http/types.ts';
import { onlyParams } from '../query/handlers/params.ts';
import type { QueryService } from '../query/query-service.ts';
import { SseWriter } from '../query/sse.ts';
import { SAMPLE_INTERVAL_MS, type ConsoleSampler } from './sampler.ts';
import { STATUS_PATH, clusterStatus } from './status.ts';

export const STATUS_EVENTS_PATH = `${STATUS_PATH}/events`;

/** After a sample is taken (on multiples of the interval): the event carries the new figures. */
const AFTER_SAMPLE_MS = 150;

export function streamStatus(
  service: QueryService,
  sampler: ConsoleSampler,
  request: HttpRequest,
  raw: { req: IncomingMessage; res: ServerResponse },
): undefined {
  onlyParams(request.query, [], `GET ${STATUS_EVENTS_PATH}`);
  const writer = new SseWriter(raw.req, raw.res);
  const closed = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  writer.onClose(() => {
    closed.abort();
    clearTimeout(timer);
  });
  const send = async () => {
    let status;
    try {
      status = await clusterStatus(service, sampler, closed.signal);
    } catch (error) {
      writer.end('error', { error: errorMessage(error) });
      return;
    }
    if (writer.closed) return;
    writer.send('status', status);
    const now = Date.now();
    const next = (Math.floor(now / SAMPLE_INTERVAL_MS) + 1) * SAMPLE_INTERVAL_MS + AFTER_SAMPLE_MS;
    timer = setTimeout(() => void send(), next - now);
  };
  void send();
  return undefined;
}
