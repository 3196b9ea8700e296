// `sk timeline inspect`: one document about one timeline gathered from every safekeeper's admin
// API, the pageserver, etcd (the offload election's leader) and the bucket (the offloaded
// segments, gaps, wrong sizes). Every source is asked in parallel with its own short deadline;
// one that is down, paused or failing is recorded as such and never hides the others.
import { describeError } from '../common/errors.js';
import { parseSegmentFileName, segmentFileName } from '../postgres/segment-name.js';
import type { PageserverTimelineDocument } from '../protocol/pageserver-status.js';
import type { TimelineStatus } from '../protocol/timeline-status.js';
import type { TimelineRef } from './cluster-timelines.js';
import { etcdEndpoints } from './config.js';
import { askPageserver, clusterAnswerError } from './pageserver-ops.js';
import {
  askSafekeepers,
  type DaemonAnswer,
  type SafekeeperAnswer,
  type SafekeeperSet,
} from './safekeeper-fanout.js';
import { listStorage } from './storage-ops.js';
import type { AppError } from '../common/errors.js';

/** etcd is asked with this deadline (the election's candidate keys). */
const ETCD_DEADLINE_MS = 1000;

export interface BucketSegments {
  readonly prefix: string;
  readonly first: string | null;
  readonly last: string | null;
  readonly count: number;
  readonly bytes: number;
  /** Segment names missing between first and last. */
  readonly gaps: readonly string[];
  /** Objects whose size is not the segment size. */
  readonly wrong_size: readonly { readonly name: string; readonly size: number }[];
  /** Every segment name present (for the ruler). */
  readonly names: readonly string[];
}

export interface InspectDocument {
  readonly tenant_id: string;
  readonly timeline_id: string;
  readonly wal_seg_size: number;
  readonly safekeepers: readonly SafekeeperAnswer<TimelineStatus>[];
  /** null: the cluster runs no pageserver. */
  readonly pageserver: DaemonAnswer<PageserverTimelineDocument> | null;
  readonly s3: { readonly segments: BucketSegments | null; readonly error: string | null };
  readonly offload: { readonly leader_node_id: number | null; readonly error: string | null };
}

async function bucketSegments(
  set: SafekeeperSet,
  ref: TimelineRef,
  segmentSizeBytes: number,
): Promise<BucketSegments> {
  const prefix = `${set.config.remoteStorage.prefix}/${ref.tenantId}/${ref.timelineId}/`;
  const listing = await listStorage(set.config, prefix, true);
  const segments = listing.objects.flatMap((object) => {
    const name = object.key.slice(prefix.length);
    const parsed = parseSegmentFileName(name, segmentSizeBytes);
    return parsed === undefined || parsed.partial
      ? []
      : [{ name, segno: parsed.segno, size: object.size }];
  });
  segments.sort((a, b) => (a.segno < b.segno ? -1 : a.segno > b.segno ? 1 : 0));
  const first = segments[0];
  const last = segments.at(-1);
  const present = new Set(segments.map((segment) => segment.segno));
  const gaps: string[] = [];
  if (first !== undefined && last !== undefined)
    for (let segno = first.segno; segno <= last.segno && gaps.length < 100; segno++)
      if (!present.has(segno)) gaps.push(segmentFileName(segno, segmentSizeBytes));
  return {
    prefix,
    first: first?.name ?? null,
    last: last?.name ?? null,
    count: segments.length,
    bytes: segments.reduce((sum, segment) => sum + segment.size, 0),
    gaps,
    wrong_size: segments
      .filter((segment) => segment.size !== segmentSizeBytes)
      .map((segment) => ({ name: segment.name, size: segment.size })),
    names: segments.map((segment) => segment.name),
  };
}

/** The offload election's leader: the candidate key with the lowest create revision. */
async function electionLeader(set: SafekeeperSet, ref: TimelineRef): Promise<number | null> {
  const { Etcd3 } = await import('etcd3');
  const etcd = new Etcd3({
    hosts: [...etcdEndpoints(set.config)],
    dialTimeout: ETCD_DEADLINE_MS,
    defaultCallOptions: () => ({ deadline: Date.now() + ETCD_DEADLINE_MS }),
  });
  try {
    const prefix = `${set.config.etcd.prefix}/${ref.tenantId}/${ref.timelineId}/safekeeper/wal_backup/`;
    const response = await etcd.getAll().prefix(prefix).exec();
    const candidates = [...response.kvs].sort((a, b) =>
      BigInt(a.create_revision) < BigInt(b.create_revision) ? -1 : 1,
    );
    const value = candidates[0]?.value.toString();
    const id = value === undefined ? undefined : /^id_(\d+)$/.exec(value)?.[1];
    return id === undefined ? null : Number(id);
  } finally {
    etcd.close();
  }
}

export async function inspectTimeline(
  set: SafekeeperSet,
  ref: TimelineRef,
): Promise<{ document: InspectDocument; problem: AppError | undefined }> {
  const [safekeepers, pageserver, leader] = await Promise.all([
    askSafekeepers(set, (client) => client.timelineStatus(ref.tenantId, ref.timelineId)),
    askPageserver(set, (client) => client.timeline(ref.tenantId, ref.timelineId)),
    electionLeader(set, ref).then(
      (id) => ({ id, error: null }),
      (error: unknown) => ({ id: null, error: `etcd: ${describeError(error)}` }),
    ),
  ]);
  const segmentSizeBytes =
    safekeepers.find((answer) => answer.result !== undefined)?.result?.server.wal_seg_size ?? 0;
  let s3: InspectDocument['s3'] = { segments: null, error: null };
  if (segmentSizeBytes !== 0)
    s3 = await bucketSegments(set, ref, segmentSizeBytes).then(
      (segments) => ({ segments, error: null }),
      (error: unknown) => ({ segments: null, error: describeError(error) }),
    );
  const document: InspectDocument = {
    tenant_id: ref.tenantId,
    timeline_id: ref.timelineId,
    wal_seg_size: segmentSizeBytes,
    safekeepers,
    pageserver: pageserver ?? null,
    s3,
    offload: { leader_node_id: leader.id, error: leader.error },
  };
  return {
    document,
    problem: clusterAnswerError(
      set,
      `inspecting ${ref.tenantId}/${ref.timelineId}`,
      safekeepers,
      pageserver,
    ),
  };
}
