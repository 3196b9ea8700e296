// The broker's Prometheus metrics, registered on the safekeeper's registry.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface BrokerMetrics {
  readonly publishes: Counter;
  readonly peerUpdates: Counter;
  readonly connected: Gauge;
}

export function createBrokerMetrics(registry: Registry): BrokerMetrics {
  return {
    publishes: new Counter({
      name: 'safekeeper_broker_publishes_total',
      help: 'timeline_info values put to etcd (only changed ones are put)',
      registers: [registry],
    }),
    peerUpdates: new Counter({
      name: 'safekeeper_broker_peer_updates_total',
      help: "peers' timeline_info values applied to a local timeline",
      registers: [registry],
    }),
    connected: new Gauge({
      name: 'safekeeper_broker_connected',
      help: '1 while the broker reaches etcd, 0 while it retries',
      registers: [registry],
    }),
  };
}
