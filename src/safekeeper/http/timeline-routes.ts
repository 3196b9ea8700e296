// Timeline routes of the admin API: create (POST /v1/tenant/timeline, hex ids in JSON), status,
// list (per tenant and for the whole node), and idempotent deletes of a timeline or a tenant.
// Ids are validated before any file is touched: 32 lower-case hex characters or a 400.
import type { IncomingMessage } from 'node:http';
import { parseTenantId, parseTimelineId, type TenantId } from '../../common/hex-id.js';
import { isValidSegmentSize } from '../../postgres/segment-name.js';
import type { PeerInfo, ServerInfo } from '../control-file/safekeeper-state.js';
import type { TimelineListEntry } from '../../protocol/timeline-status.js';
import { describeTimeline } from '../timeline/timeline-status.js';
import type { Timeline } from '../timeline/timeline.js';
import type { TimelineStatus } from '../../protocol/timeline-status.js';
import { httpErrorOf } from '../../common/http-errors.js';
import { badRequest, readJsonObject, refuseBody, sendJson } from '../../daemon-shell/http-io.js';
import type { HttpContext, Route, RouteParams } from './server.js';

const CREATE_KEYS = [
  'tenant_id',
  'timeline_id',
  'peer_ids',
  'pg_version',
  'system_id',
  'wal_seg_size',
];
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** The route's tenant and timeline ids, validated (400 otherwise). */
export function idsOf(params: RouteParams) {
  return { tenantId: parseTenantId(params.tenant), timelineId: parseTimelineId(params.timeline) };
}

function optionalInteger(body: Record<string, unknown>, name: string, max: number): number {
  const value = body[name];
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw badRequest(`invalid ${name} ${JSON.stringify(value)}: expected an integer 0..${max}`);
  return value;
}

function parseSystemId(value: unknown): bigint {
  if (value === undefined) return 0n;
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,20}$/.test(text) || BigInt(text) > U64_MAX)
    throw badRequest(
      `invalid system_id ${JSON.stringify(value)}: expected a u64 as a decimal string`,
    );
  return BigInt(text);
}

function parsePeers(value: unknown): PeerInfo[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 100)
    throw badRequest('invalid peer_ids: expected an array of at most 100 node ids');
  return value.map((id: unknown) => {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1)
      throw badRequest(`invalid peer id ${JSON.stringify(id)}: expected a positive integer`);
    return { nodeId: BigInt(id), backupLsn: 0n, term: 0n, flushLsn: 0n, commitLsn: 0n };
  });
}

async function parseCreateRequest(req: IncomingMessage) {
  const body = await readJsonObject(req);
  const unknown = Object.keys(body).filter((name) => !CREATE_KEYS.includes(name));
  if (unknown.length > 0) throw badRequest(`unknown field ${unknown.join(', ')} in request`);
  const walSegSize = optionalInteger(body, 'wal_seg_size', 2 ** 30);
  if (walSegSize !== 0 && !isValidSegmentSize(walSegSize))
    throw badRequest(`invalid wal_seg_size ${walSegSize}: expected a power of two, 1 MiB to 1 GiB`);
  const server: ServerInfo = {
    pgVersion: optionalInteger(body, 'pg_version', 0xffff_ffff),
    systemId: parseSystemId(body.system_id),
    walSegSize,
  };
  return {
    tenantId: parseTenantId(body.tenant_id),
    timelineId: parseTimelineId(body.timeline_id),
    server,
    peers: parsePeers(body.peer_ids),
  };
}

/** A timeline's status document, with its offload status when this safekeeper offloads. */
function describe(context: HttpContext, timeline: Timeline): Promise<TimelineStatus> {
  const walBackup = context.walBackup;
  return describeTimeline(
    timeline,
    walBackup === undefined ? undefined : (one) => walBackup.describeTimeline(one),
  );
}

/** Status documents of the listed timelines; a broken one shows its error instead. */
async function describeAll(
  context: HttpContext,
  tenantId?: TenantId,
): Promise<TimelineListEntry[]> {
  const timelines = context.timelines;
  const documents: TimelineListEntry[] = [];
  for (const { tenantId: tenant, timelineId, entry } of timelines.list(tenantId)) {
    if (entry.kind === 'loaded') documents.push(await describe(context, entry.timeline));
    else {
      const { code } = httpErrorOf(entry.error);
      documents.push({
        tenant_id: tenant,
        timeline_id: timelineId,
        error: { code, message: entry.error.message },
      });
    }
  }
  return documents;
}

export const TIMELINE_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/v1/tenant/timeline',
    handler: async (req, res, context) => {
      const request = await parseCreateRequest(req);
      const timeline = await context.timelines.create(
        request.tenantId,
        request.timelineId,
        request.server,
        request.peers,
      );
      sendJson(res, 201, await describe(context, timeline));
    },
  },
  {
    method: 'GET',
    path: '/v1/timelines',
    handler: async (req, res, context) => {
      await refuseBody(req);
      sendJson(res, 200, await describeAll(context));
    },
  },
  {
    method: 'GET',
    path: '/v1/tenant/:tenant/timelines',
    handler: async (req, res, context, params) => {
      const tenantId = parseTenantId(params.tenant);
      await refuseBody(req);
      sendJson(res, 200, await describeAll(context, tenantId));
    },
  },
  {
    method: 'GET',
    path: '/v1/tenant/:tenant/timeline/:timeline',
    handler: async (req, res, context, params) => {
      const { tenantId, timelineId } = idsOf(params);
      await refuseBody(req);
      sendJson(res, 200, await describe(context, context.timelines.require(tenantId, timelineId)));
    },
  },
  {
    method: 'DELETE',
    path: '/v1/tenant/:tenant/timeline/:timeline',
    handler: async (req, res, { timelines }, params) => {
      const { tenantId, timelineId } = idsOf(params);
      await refuseBody(req);
      sendJson(res, 200, await timelines.delete(tenantId, timelineId));
    },
  },
  {
    method: 'DELETE',
    path: '/v1/tenant/:tenant',
    handler: async (req, res, { timelines }, params) => {
      const tenantId = parseTenantId(params.tenant);
      await refuseBody(req);
      sendJson(res, 200, await timelines.deleteTenant(tenantId));
    },
  },
];
