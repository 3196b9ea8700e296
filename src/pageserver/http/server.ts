// The pageserver's HTTP admin API (docs/pageserver.md) on the daemon shell's router: status,
// timelines (list, one, wait for a position, tell about a new one, checkpoint) and /metrics. Ids are validated
// before anything is looked up: 32 lower-case hex characters or a 400; unknown timelines 404.
import type { Server } from 'node:http';
import { AppError } from '../../common/errors.js';
import { parseTenantId, parseTimelineId } from '../../common/hex-id.js';
import type { Logger } from '../../common/log.js';
import { badRequest, readJsonObject, refuseBody, sendJson } from '../../daemon-shell/http-io.js';
import { countAnswered, sendMetrics } from '../../daemon-shell/http-metrics.js';
import { createHttpRouter, type Route, type RouteParams } from '../../daemon-shell/http-router.js';
import type { PageserverStatusDocument } from '../../protocol/pageserver-status.js';
import type { PageserverTimeline } from '../timeline/pageserver-timeline.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';
import type { PageserverMetrics } from './metrics.js';
import { waitRoute } from './wait-route.js';

export interface HttpContext {
  readonly timelines: TimelineRegistry;
  readonly metrics: PageserverMetrics;
  /** Asks discovery for a round now (a new timeline wants its source). */
  readonly wakeDiscovery: () => void;
  readonly log: Logger;
}

const TIMELINE_KEYS = ['tenant_id', 'timeline_id'];

function timelineOf(context: HttpContext, params: RouteParams): PageserverTimeline {
  const tenantId = parseTenantId(params.tenant);
  const timelineId = parseTimelineId(params.timeline);
  const timeline = context.timelines.get(tenantId, timelineId);
  if (timeline === undefined)
    throw new AppError(
      'not-found',
      `timeline ${tenantId}/${timelineId} is not known to the pageserver`,
    );
  return timeline;
}

/** The answer of GET /v1/status, the readiness probe; also the daemon's readiness notice. */
export function pageserverStatusDocument(timelines: TimelineRegistry): PageserverStatusDocument {
  return { id: 'pageserver', timelines: timelines.size };
}

const ROUTES: readonly Route<HttpContext>[] = [
  {
    method: 'GET',
    path: '/v1/status',
    handler: async (req, res, context) => {
      await refuseBody(req);
      sendJson(res, 200, pageserverStatusDocument(context.timelines));
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    handler: (_req, res, context) => sendMetrics(res, context.metrics.registry),
  },
  {
    method: 'GET',
    path: '/v1/timelines',
    handler: async (req, res, context) => {
      await refuseBody(req);
      sendJson(
        res,
        200,
        context.timelines.list().map((timeline) => timeline.document()),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/tenant/:tenant/timeline/:timeline',
    handler: async (req, res, context, params) => {
      const timeline = timelineOf(context, params);
      await refuseBody(req);
      sendJson(res, 200, timeline.document());
    },
  },
  waitRoute(timelineOf),
  {
    method: 'POST',
    path: '/v1/timeline',
    handler: async (req, res, context) => {
      const body = await readJsonObject(req);
      const unknown = Object.keys(body).filter((name) => !TIMELINE_KEYS.includes(name));
      if (unknown.length > 0) throw badRequest(`unknown field ${unknown.join(', ')} in request`);
      const { timeline, created } = await context.timelines.ensure(
        parseTenantId(body.tenant_id),
        parseTimelineId(body.timeline_id),
      );
      context.wakeDiscovery();
      sendJson(res, created ? 201 : 200, timeline.document());
    },
  },
  {
    method: 'POST',
    path: '/v1/tenant/:tenant/timeline/:timeline/checkpoint',
    handler: async (_req, res, context, params) => {
      // Any body (none, or {}) is ignored: the route takes no parameters.
      const timeline = timelineOf(context, params);
      sendJson(res, 200, await timeline.checkpoint());
    },
  },
];

export function createHttpServer(context: HttpContext): Server {
  return createHttpRouter({
    routes: ROUTES,
    context,
    log: context.log,
    onAnswered: countAnswered(context.metrics.httpRequests),
  });
}
