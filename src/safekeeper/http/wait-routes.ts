// A long poll on one timeline LSN, so that `neon_local sk timeline wait` is driven by the
// timeline's change events instead of polling the status: GET
// /v1/tenant/:tenant/timeline/:timeline/wait?lsn=commit_lsn&at_least=X/Y&timeout_ms=N answers
// as soon as the in-memory LSN reaches X/Y, or after N ms (at most 30 s) with reached false and
// the value then. A client that hangs up ends its wait.
import type { IncomingMessage } from 'node:http';
import { formatLsn, parseLsn } from '../../postgres/lsn.js';
import { badRequest, refuseBody, sendJson } from '../../daemon-shell/http-io.js';
import type { LsnWaitDocument } from '../../protocol/timeline-status.js';
import type { TimelineLsnName } from '../timeline/timeline-events.js';
import type { Route } from './server.js';
import { idsOf } from './timeline-routes.js';

export const WAIT_TIMEOUT_MAX_MS = 30_000;

/** The LSNs one may wait for, by their status-document names. */
const WAITABLE: Readonly<Record<string, TimelineLsnName>> = {
  flush_lsn: 'flushLsn',
  commit_lsn: 'commitLsn',
  backup_lsn: 'backupLsn',
  peer_horizon_lsn: 'peerHorizonLsn',
  remote_consistent_lsn: 'remoteConsistentLsn',
};

function waitRequest(req: IncomingMessage) {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const lsnName = query.get('lsn') ?? '';
  const name = WAITABLE[lsnName];
  if (name === undefined)
    throw badRequest(
      `invalid lsn "${lsnName}": expected one of ${Object.keys(WAITABLE).join(', ')}`,
    );
  const target = parseLsn(query.get('at_least') ?? '', 'at_least');
  const timeoutText = query.get('timeout_ms') ?? '10000';
  const timeoutMs = /^\d{1,6}$/.test(timeoutText) ? Number(timeoutText) : NaN;
  if (!(timeoutMs >= 0 && timeoutMs <= WAIT_TIMEOUT_MAX_MS))
    throw badRequest(`invalid timeout_ms "${timeoutText}": expected 0..${WAIT_TIMEOUT_MAX_MS}`);
  return { lsnName, name, target, timeoutMs };
}

export const WAIT_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/tenant/:tenant/timeline/:timeline/wait',
    handler: async (req, res, { timelines }, params) => {
      const { tenantId, timelineId } = idsOf(params);
      const { lsnName, name, target, timeoutMs } = waitRequest(req);
      await refuseBody(req);
      const timeline = timelines.require(tenantId, timelineId);
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      const onClose = (): void => abort.abort();
      res.once('close', onClose);
      let reached = true;
      try {
        await timeline.events.waitFor(name, target, abort.signal);
      } catch (error) {
        // A timeout or a hang-up answers with the value now; a closed timeline is an error.
        if (!abort.signal.aborted) throw error;
        reached = false;
      } finally {
        clearTimeout(timer);
        res.off('close', onClose);
      }
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
