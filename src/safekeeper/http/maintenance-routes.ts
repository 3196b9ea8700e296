// Routes that drive a timeline's background work now instead of at the next tick: WAL removal
// (POST .../checkpoint answers with the removed segment range and the horizon it obeyed), WAL
// offload (POST .../offload answers what this safekeeper did: leader or not, backup_lsn), and the
// test-only route that injects a peer's timeline info (neon's record_safekeeper_info), served
// only when the daemon runs with --testing.
import { AppError } from '../../common/errors.js';
import { parseTimelineInfo } from '../../protocol/safekeeper-timeline-info.js';
import type { WalRemovalDocument } from '../../protocol/timeline-status.js';
import { badRequest, readJsonObject, refuseBody, sendJson } from '../../daemon-shell/http-io.js';
import { describeHorizon, localSegmentsOf } from '../timeline/timeline-status.js';
import type { Route } from './server.js';
import { idsOf } from './timeline-routes.js';

export const MAINTENANCE_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/v1/tenant/:tenant/timeline/:timeline/checkpoint',
    handler: async (req, res, { timelines }, params) => {
      const { tenantId, timelineId } = idsOf(params);
      await refuseBody(req);
      const timeline = timelines.require(tenantId, timelineId);
      const { horizon, removed } = await timeline.removeWalBelowHorizon();
      const document: WalRemovalDocument = {
        removed: removed ?? null,
        horizon: describeHorizon(timeline, horizon, await localSegmentsOf(timeline)),
      };
      sendJson(res, 200, document);
    },
  },
  {
    method: 'POST',
    path: '/v1/tenant/:tenant/timeline/:timeline/offload',
    handler: async (req, res, { timelines, walBackup }, params) => {
      const { tenantId, timelineId } = idsOf(params);
      await refuseBody(req);
      timelines.require(tenantId, timelineId);
      if (walBackup === undefined)
        throw new AppError(
          'wrong-state',
          'WAL backup is not configured on this safekeeper: start it with --remote-storage (and --enable-wal-backup true)',
        );
      sendJson(res, 200, await walBackup.offloadNow(tenantId, timelineId));
    },
  },
  {
    method: 'POST',
    path: '/v1/record_safekeeper_info/:tenant/:timeline',
    handler: async (req, res, { timelines, testing }, params) => {
      const { tenantId, timelineId } = idsOf(params);
      if (!testing)
        throw new AppError(
          'wrong-state',
          'POST /v1/record_safekeeper_info is a test-only route: start the safekeeper with --testing to use it',
        );
      const parsed = parseTimelineInfo(await readJsonObject(req));
      if (!parsed.ok) throw badRequest(`invalid timeline info: ${parsed.reason}`);
      await timelines.require(tenantId, timelineId).recordSafekeeperInfo(parsed.info);
      sendJson(res, 200, null);
    },
  },
];
