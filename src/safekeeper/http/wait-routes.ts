// A long poll on one timeline LSN, so that `neon_local sk timeline wait` is driven by the
// timeline's change events instead of polling the status: GET
// /v1/tenant/:tenant/timeline/:timeline/wait?lsn=commit_lsn&at_least=X/Y&timeout_ms=N answers
// as soon as the in-memory LSN reaches X/Y, or after N ms (at most 30 s) with reached false and
// the value then. A client that hangs up ends its wait (daemon-shell/lsn-wait.ts).
import { formatLsn } from '../../postgres/lsn.js';
import { refuseBody, sendJson } from '../../daemon-shell/http-io.js';
import { parseLsnWaitQuery, waitWhileConnected } from '../../daemon-shell/lsn-wait.js';
import type { LsnWaitDocument } from '../../protocol/timeline-status.js';
import type { TimelineLsnName } from '../timeline/timeline-events.js';
import type { Route } from './server.js';
import { idsOf } from './timeline-routes.js';

/** The LSNs one may wait for, by their status-document names. */
const WAITABLE = {
  flush_lsn: 'flushLsn',
  commit_lsn: 'commitLsn',
  backup_lsn: 'backupLsn',
  peer_horizon_lsn: 'peerHorizonLsn',
  remote_consistent_lsn: 'remoteConsistentLsn',
} as const satisfies Readonly<Record<string, TimelineLsnName>>;
const WAITABLE_NAMES = Object.keys(WAITABLE) as (keyof typeof WAITABLE)[];

export const WAIT_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/tenant/:tenant/timeline/:timeline/wait',
    handler: async (req, res, { timelines }, params) => {
      const { tenantId, timelineId } = idsOf(params);
      const { lsnName, targetLsn, timeoutMs } = parseLsnWaitQuery(req, WAITABLE_NAMES);
      const name = WAITABLE[lsnName];
      await refuseBody(req);
      const timeline = timelines.require(tenantId, timelineId);
      const reached = await waitWhileConnected(res, timeoutMs, async (signal) => {
        try {
          await timeline.events.waitFor(name, targetLsn, signal);
          return true;
        } catch (error) {
          // A timeout or a hang-up answers with the value now; a closed timeline is an error.
          if (!signal.aborted) throw error;
          return false;
        }
      });
      const value = timeline.isClosed
        ? 0n
        : currentValue(timeline.inmemLsns, timeline.flushLsn, name);
      const document: LsnWaitDocument = { lsn: lsnName, value: formatLsn(value), reached };
      if (!res.destroyed) sendJson(res, 200, document);
    },
  },
];

function currentValue(
  inmem: {
    readonly commitLsn: bigint;
    readonly backupLsn: bigint;
    readonly peerHorizonLsn: bigint;
    readonly remoteConsistentLsn: bigint;
  },
  flushLsn: bigint,
  name: TimelineLsnName,
): bigint {
  return name === 'flushLsn' ? flushLsn : inmem[name];
}
