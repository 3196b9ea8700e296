// What the admin APIs of our daemons share for Prometheus: the counter of answered requests by
// method, route and status (fed by the router's onAnswered), and GET /metrics serving a
// registry. Each daemon keeps its own metric names under its own prefix.
import type { ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';

export type HttpRequestsCounter = Counter<'method' | 'route' | 'status'>;

/** `<daemon>_http_requests_total`, registered in `registry`. */
export function createHttpRequestsCounter(daemon: string, registry: Registry): HttpRequestsCounter {
  return new Counter({
    name: `${daemon}_http_requests_total`,
    help: 'HTTP admin API requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
}

/** The router's onAnswered for a request counter. */
export function countAnswered(
  counter: HttpRequestsCounter,
): (method: string, route: string, status: number) => void {
  return (method, route, status) => counter.inc({ method, route, status: String(status) });
}

/** Answers GET /metrics with the registry's exposition. */
export async function sendMetrics(res: ServerResponse, registry: Registry): Promise<void> {
  const text = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(text);
}
