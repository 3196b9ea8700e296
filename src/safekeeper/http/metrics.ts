// The safekeeper's Prometheus registry: process metrics under the safekeeper_ prefix and the
// HTTP request counter. Timeline metrics join it with the storage engine.
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export interface SafekeeperMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
}

export function createMetrics(nodeId: number): SafekeeperMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node_id: String(nodeId) });
  collectDefaultMetrics({ register: registry, prefix: 'safekeeper_' });
  const httpRequests = new Counter({
    name: 'safekeeper_http_requests_total',
    help: 'HTTP admin API requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  return { registry, httpRequests };
}
