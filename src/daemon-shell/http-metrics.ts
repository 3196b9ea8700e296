// What the admin APIs of our daemons share for Prometheus: the counter of answered requests by
// method, route and status (fed by the router's onAnswered), the process metrics, and GET
// /metrics serving a registry. Each daemon keeps its own metric names under its own prefix.
import type { ServerResponse } from 'node:http';
import promClient, { Counter, type Registry } from 'prom-client';

/** Registries whose process metrics wait for their first scrape, with their prefix. */
const processMetricsPending = new WeakMap<Registry, string>();

/**
 * prom-client's process metrics (CPU, memory, handles, event loop lag, GC) under `prefix`,
 * registered at the registry's first scrape rather than now: they load node:v8 and set up
 * perf_hooks observers, about 5 ms of CPU that every daemon would spend while the rest of the
 * cluster starts (the bundle loads them lazily, see scripts/bundle.js). The counters they read
 * (CPU time, GC) count from the process's start or from the first scrape on.
 */
export function registerProcessMetricsAtFirstScrape(registry: Registry, prefix: string): void {
  processMetricsPending.set(registry, prefix);
}

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
  const prefix = processMetricsPending.get(registry);
  if (prefix !== undefined) {
    processMetricsPending.delete(registry);
    // Read from the module at the call: a named import is read when the bundle loads.
    promClient.collectDefaultMetrics({ register: registry, prefix });
  }
  const text = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(text);
}
