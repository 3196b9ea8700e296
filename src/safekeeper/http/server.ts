// The safekeeper's HTTP admin API: its routes (status, metrics, timelines) on the daemon
// shell's router, which answers errors as JSON; every answered request is counted by route and
// status in the safekeeper's metrics.
import type { Server } from 'node:http';
import type { Logger } from '../../common/log.js';
import { sendJson } from '../../daemon-shell/http-io.js';
import { countAnswered, sendMetrics } from '../../daemon-shell/http-metrics.js';
import {
  createHttpRouter,
  type Route as ShellRoute,
  type RouteParams,
} from '../../daemon-shell/http-router.js';
import type { SafekeeperStatusDocument } from '../../protocol/timeline-status.js';
import type { BrokerStatus } from '../broker/broker.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';
import type { WalBackup } from '../wal-backup/wal-backup.js';
import type { SafekeeperMetrics } from './metrics.js';
import { MAINTENANCE_ROUTES } from './maintenance-routes.js';
import { TIMELINE_ROUTES } from './timeline-routes.js';
import { WAIT_ROUTES } from './wait-routes.js';

export interface HttpContext {
  readonly nodeId: number;
  readonly metrics: SafekeeperMetrics;
  readonly timelines: TimelineRegistry;
  readonly log: Logger;
  /** --testing: the test-only routes answer. */
  readonly testing: boolean;
  /** The broker's state; undefined when no broker endpoints are configured. */
  readonly brokerStatus: () => BrokerStatus | undefined;
  /** The WAL offload; undefined when remote storage is not configured or backup is off. */
  readonly walBackup: WalBackup | undefined;
}

export type { RouteParams };
export type Route = ShellRoute<HttpContext>;

/**
 * The answer of GET /v1/status, the readiness probe: `id` first; the broker's and the offload's
 * state beside it. Also the daemon's readiness notice (main.ts).
 */
export function safekeeperStatusDocument(
  context: Pick<HttpContext, 'nodeId' | 'brokerStatus' | 'walBackup'>,
): SafekeeperStatusDocument {
  return {
    id: context.nodeId,
    broker: context.brokerStatus() ?? null,
    wal_backup: context.walBackup?.describeNode() ?? {
      configured: false,
      etcd_connected: null,
      timelines_campaigning: 0,
      timelines_leading: 0,
    },
  };
}

const BASE_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/status',
    handler: (_req, res, context) =>
      Promise.resolve(sendJson(res, 200, safekeeperStatusDocument(context))),
  },
  {
    method: 'GET',
    path: '/metrics',
    handler: (_req, res, context) => sendMetrics(res, context.metrics.registry),
  },
];

const ROUTES: readonly Route[] = [
  ...BASE_ROUTES,
  ...TIMELINE_ROUTES,
  ...MAINTENANCE_ROUTES,
  ...WAIT_ROUTES,
];

export function createHttpServer(context: HttpContext): Server {
  return createHttpRouter({
    routes: ROUTES,
    context,
    log: context.log,
    onAnswered: countAnswered(context.metrics.httpRequests),
  });
}
