// A long poll on one pageserver timeline position, so that a caller (a test, the streaming
// benchmark) is answered when it moves instead of polling the timeline document: GET
// /v1/tenant/:tenant/timeline/:timeline/wait?lsn=durable_lsn&at_least=X/Y&timeout_ms=N answers
// as soon as the position reaches X/Y, or after N ms (at most 30 s) with reached false and the
// value then. A client that hangs up ends its wait.
import type { IncomingMessage } from 'node:http';
import { badRequest, refuseBody, sendJson } from '../../daemon-shell/http-io.js';
import type { Route, RouteParams } from '../../daemon-shell/http-router.js';
import { parseLsn } from '../../postgres/lsn.js';
import type { LsnWaitDocument } from '../../protocol/timeline-status.js';
import { TIMELINE_POSITION_NAMES, type TimelinePositionName } from '../timeline/lsn-waiters.js';
import type { PageserverTimeline } from '../timeline/pageserver-timeline.js';

export const WAIT_TIMEOUT_MAX_MS = 30_000;
const WAIT_TIMEOUT_DEFAULT_MS = 10_000;

function isPositionName(name: string): name is TimelinePositionName {
  return (TIMELINE_POSITION_NAMES as readonly string[]).includes(name);
}

function waitRequest(req: IncomingMessage) {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const name = query.get('lsn') ?? '';
  if (!isPositionName(name))
    throw badRequest(
      `invalid lsn "${name}": expected one of ${TIMELINE_POSITION_NAMES.join(', ')}`,
    );
  const targetLsn = parseLsn(query.get('at_least') ?? '', 'at_least');
  const timeoutText = query.get('timeout_ms') ?? String(WAIT_TIMEOUT_DEFAULT_MS);
  const timeoutMs = /^\d{1,6}$/.test(timeoutText) ? Number(timeoutText) : NaN;
  if (!(timeoutMs >= 0 && timeoutMs <= WAIT_TIMEOUT_MAX_MS))
    throw badRequest(`invalid timeout_ms "${timeoutText}": expected 0..${WAIT_TIMEOUT_MAX_MS}`);
  return { name, targetLsn, timeoutMs };
}

/** The route, given how the server finds a timeline from the path (404 for an unknown one). */
export function waitRoute<Context>(
  timelineOf: (context: Context, params: RouteParams) => PageserverTimeline,
): Route<Context> {
  return {
    method: 'GET',
    path: '/v1/tenant/:tenant/timeline/:timeline/wait',
    handler: async (req, res, context, params) => {
      const timeline = timelineOf(context, params);
      const { name, targetLsn, timeoutMs } = waitRequest(req);
      await refuseBody(req);
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      const onClose = (): void => abort.abort();
      res.once('close', onClose);
      let reached: boolean;
      try {
        reached = await timeline.waitForPosition(name, targetLsn, abort.signal);
      } finally {
        clearTimeout(timer);
        res.off('close', onClose);
      }
      const value = timeline.document()[name];
      const document: LsnWaitDocument = { lsn: name, value, reached };
      if (!res.destroyed) sendJson(res, 200, document);
    },
  };
}
