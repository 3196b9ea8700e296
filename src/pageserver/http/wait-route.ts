// A long poll on one pageserver timeline position, so that a caller (a test, the streaming
// benchmark) is answered when it moves instead of polling the timeline document: GET
// /v1/tenant/:tenant/timeline/:timeline/wait?lsn=durable_lsn&at_least=X/Y&timeout_ms=N answers
// as soon as the position reaches X/Y, or after N ms (at most 30 s) with reached false and the
// value then. A client that hangs up ends its wait (daemon-shell/lsn-wait.ts).
import { refuseBody, sendJson } from '../../daemon-shell/http-io.js';
import type { Route, RouteParams } from '../../daemon-shell/http-router.js';
import { parseLsnWaitQuery, waitWhileConnected } from '../../daemon-shell/lsn-wait.js';
import type { LsnWaitDocument } from '../../protocol/timeline-status.js';
import { TIMELINE_POSITION_NAMES } from '../timeline/lsn-waiters.js';
import type { PageserverTimeline } from '../timeline/pageserver-timeline.js';

/** The route, given how the server finds a timeline from the path (404 for an unknown one). */
export function waitRoute<Context>(
  timelineOf: (context: Context, params: RouteParams) => PageserverTimeline,
): Route<Context> {
  return {
    method: 'GET',
    path: '/v1/tenant/:tenant/timeline/:timeline/wait',
    handler: async (req, res, context, params) => {
      const timeline = timelineOf(context, params);
      const { lsnName, targetLsn, timeoutMs } = parseLsnWaitQuery(req, TIMELINE_POSITION_NAMES);
      await refuseBody(req);
      const reached = await waitWhileConnected(res, timeoutMs, (signal) =>
        timeline.waitForPosition(lsnName, targetLsn, signal),
      );
      const document: LsnWaitDocument = {
        lsn: lsnName,
        value: timeline.document()[lsnName],
        reached,
      };
      if (!res.destroyed) sendJson(res, 200, document);
    },
  };
}
