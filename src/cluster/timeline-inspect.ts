// `sk timeline inspect`: one document about one timeline gathered from every safekeeper's admin
// API, the pageserver, etcd (the offload election's leader) and the bucket (the offloaded
// segments, gaps, wrong sizes). Every source is asked in parallel with its own short deadline;
// one that is down, paused or failing is recorded as such and never hides the others.
import { sleepMs } from '../common/deadline.js';
import { describeError } from '../common/errors.js';
import { httpPostJson } from '../common/http-get.js';
import { etcdFailureSummary } from './etcd-failure.js';
import { parseSegmentFileName, segmentFileName } from '../postgres/segment-name.js';
import type { PageserverTimelineDocument } from '../protocol/pageserver-status.js';
import type { SafekeeperStatusDocument, TimelineStatus } from '../protocol/timeline-status.js';
import type { TimelineRef } from './cluster-timelines.js';
import { etcdEndpoints } from './config.js';
import { askPageserver, clusterAnswerError } from './pageserver-ops.js';
import {
  askSafekeepers,
  type DaemonAnswer,
  type SafekeeperAnswer,
  type SafekeeperSet,
} from './safekeeper-fanout.js';
import { listStorage, type StorageListing } from './storage-ops.js';
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

/** One safekeeper's timeline status, and its node status: the broker's and offload's connections. */
export type InspectedSafekeeper = TimelineStatus & { readonly node: SafekeeperStatusDocument };

export interface InspectDocument {
  readonly tenant_id: string;
  readonly timeline_id: string;
  readonly wal_seg_size: number;
  readonly safekeepers: readonly SafekeeperAnswer<InspectedSafekeeper>[];
  /** null: the cluster runs no pageserver. */
  readonly pageserver: DaemonAnswer<PageserverTimelineDocument> | null;
  readonly s3: { readonly segments: BucketSegments | null; readonly error: string | null };
  readonly offload: { readonly leader_node_id: number | null; readonly error: string | null };
}

/** The segments among the objects listed under `prefix`, with their gaps and wrong sizes. */
function bucketSegments(
  prefix: string,
  listing: StorageListing,
  segmentSizeBytes: number,
): BucketSegments {
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

/** The end of the key range holding every key that starts with `prefix`: its last byte + 1. */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let at = end.length - 1; at >= 0; at--) {
    if (end[at] !== 0xff) {
      end[at] = (end[at] ?? 0) + 1;
      return end.subarray(0, at + 1);
    }
  }
  // All 0xff: every key from the prefix on (etcd's "\0" range end).
  return Buffer.from([0]);
}

interface EtcdRangeAnswer {
  readonly kvs?: readonly {
    readonly key: string;
    readonly value?: string;
    readonly create_revision: string;
  }[];
}

/**
 * The offload election's leader: the candidate key with the lowest create revision. Asked of
 * etcd's JSON gateway (POST /v3/kv/range, base64 keys) with node:http: the etcd3 client would
 * load gRPC and protobuf, more CPU than the rest of inspect, for one range read. The endpoints
 * are tried in order; the last failure is what is reported.
 */
async function electionLeader(set: SafekeeperSet, ref: TimelineRef): Promise<number | null> {
  const prefix = Buffer.from(
    `${set.config.etcd.prefix}/${ref.tenantId}/${ref.timelineId}/safekeeper/wal_backup/`,
  );
  const question = {
    key: prefix.toString('base64'),
    range_end: prefixRangeEnd(prefix).toString('base64'),
  };
  let failure: unknown = new Error('no etcd endpoint configured');
  for (const endpoint of etcdEndpoints(set.config)) {
    try {
      const answer = await httpPostJson(`${endpoint.replace(/\/$/, '')}/v3/kv/range`, question, {
        timeoutMs: ETCD_DEADLINE_MS,
        maxBytes: 1024 * 1024,
      });
      if (answer.status !== 200)
        throw new Error(`etcd answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      const candidates = [...((JSON.parse(answer.body) as EtcdRangeAnswer).kvs ?? [])].sort(
        (a, b) => (BigInt(a.create_revision) < BigInt(b.create_revision) ? -1 : 1),
      );
      const value = candidates[0]?.value;
      const id =
        value === undefined
          ? undefined
          : /^id_(\d+)$/.exec(Buffer.from(value, 'base64').toString())?.[1];
      return id === undefined ? null : Number(id);
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

/** A failed etcd call in words, short enough for the offload line. */
function etcdProblem(set: SafekeeperSet, error: unknown): string {
  return `etcd at ${etcdEndpoints(set.config).join(', ')} ${etcdFailureSummary(describeError(error))}`;
}

export interface InspectRound {
  readonly document: InspectDocument;
  /** A safekeeper or the pageserver that did not answer (the rest is in the document). */
  readonly problem: AppError | undefined;
}

/** One inspection of TIMELINE. */
export async function inspectTimeline(set: SafekeeperSet, ref: TimelineRef): Promise<InspectRound> {
  // The bucket is listed beside the other questions; its names are parsed once a safekeeper told
  // the segment size.
  const prefix = `${set.config.remoteStorage.prefix}/${ref.tenantId}/${ref.timelineId}/`;
  const listing = listStorage(set.config, prefix, true, set.layout).then(
    (result) => ({ result, error: null }),
    (error: unknown) => ({ result: null, error: describeError(error) }),
  );
  const [safekeepers, pageserver, leader, listed] = await Promise.all([
    askSafekeepers(set, async (client): Promise<InspectedSafekeeper> => {
      const [status, node] = await Promise.all([
        client.timelineStatus(ref.tenantId, ref.timelineId),
        client.status(),
      ]);
      return { ...status, node };
    }),
    askPageserver(set, (client) => client.timeline(ref.tenantId, ref.timelineId)),
    electionLeader(set, ref).then(
      (id) => ({ id, error: null }),
      (error: unknown) => ({ id: null, error: etcdProblem(set, error) }),
    ),
    listing,
  ]);
  const segmentSizeBytes =
    safekeepers.find((answer) => answer.result !== undefined)?.result?.server.wal_seg_size ?? 0;
  const s3: InspectDocument['s3'] =
    listed.result === null
      ? { segments: null, error: listed.error }
      : {
          segments:
            segmentSizeBytes === 0 ? null : bucketSegments(prefix, listed.result, segmentSizeBytes),
          error: null,
        };
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

/**
 * --watch: inspects TIMELINE every `intervalMs` (from the start of one round to the next) until
 * `signal` aborts, handing each round to `onRound`.
 */
export async function watchTimeline(
  set: SafekeeperSet,
  ref: TimelineRef,
  options: { readonly intervalMs: number; readonly signal: AbortSignal },
  onRound: (round: InspectRound) => void,
): Promise<void> {
  // A function, so that the check after an await is not narrowed away.
  const aborted = (): boolean => options.signal.aborted;
  while (!aborted()) {
    const startedAtMs = Date.now();
    const round = await inspectTimeline(set, ref);
    if (aborted()) break;
    onRound(round);
    await sleepMs(Math.max(0, options.intervalMs - (Date.now() - startedAtMs)), options.signal);
  }
}
