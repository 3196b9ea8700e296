// `sk timeline offload`: asks every safekeeper to offload the timeline's complete segments now
// (the election's leader uploads; the others say who leads or why they may not), and with
// `wait` waits until backup_lsn reached the end of the last complete segment and every segment
// object is in the bucket with the segment's size. A wait that times out says why: no leader
// elected, no eligible safekeeper, S3 failing (its last error), or simply not done yet.
import { AppError, describeError } from '../common/errors.js';
import { sleepMs } from '../common/deadline.js';
import { formatDurationMs } from '../common/units.js';
import { formatLsn, parseLsn, type Lsn } from '../postgres/lsn.js';
import { segmentFileName, segmentNumberOf, segmentStartLsn } from '../postgres/segment-name.js';
import type { OffloadDocument } from '../protocol/timeline-status.js';
import type { TimelineRef } from './cluster-timelines.js';
import {
  askSafekeepers,
  partialAnswerError,
  type SafekeeperAnswer,
  type SafekeeperSet,
} from './safekeeper-fanout.js';
import { listStorage } from './storage-ops.js';

/** The route may do a few seconds of work before it answers. */
const OFFLOAD_DEADLINE_MS = 10_000;
const WAIT_POLL_MS = 200;

export interface OffloadResult {
  readonly tenant_id: string;
  readonly timeline_id: string;
  /** The end of the last complete segment when asked (what offload can reach). */
  readonly target_lsn: string;
  /** The highest backup_lsn the safekeepers show now. */
  readonly backup_lsn: string;
  readonly leader_node_id: number | null;
  /** With --wait: the segment objects checked in the bucket (count, bytes). */
  readonly objects: { readonly count: number; readonly bytes: number } | null;
  readonly safekeepers: readonly SafekeeperAnswer<OffloadDocument>[];
}

function highest(values: readonly Lsn[]): Lsn {
  return values.reduce((a, b) => (b > a ? b : a), 0n);
}

function leaderOf(answers: readonly SafekeeperAnswer<OffloadDocument>[]): number | null {
  for (const answer of answers) if (answer.result?.leader === true) return answer.id;
  for (const answer of answers)
    if (answer.result?.leader_node_id !== null && answer.result?.leader_node_id !== undefined)
      return answer.result.leader_node_id;
  return null;
}

/** Why offload has not got there, from what the safekeepers said last. */
function whyNot(answers: readonly SafekeeperAnswer<OffloadDocument>[]): string {
  const docs = answers.flatMap((answer) => (answer.result === undefined ? [] : [answer.result]));
  const failing = docs.find((doc) => doc.wal_backup.last_error !== null);
  if (failing?.wal_backup.last_error)
    return `the upload fails: ${failing.wal_backup.last_error.message}`;
  if (docs.length > 0 && docs.every((doc) => !doc.wal_backup.eligible))
    return `no safekeeper may offload (${docs.map((doc) => doc.wal_backup.ineligible_reason ?? 'not eligible').join('; ')})`;
  if (leaderOf(answers) === null) return 'no leader is elected (is etcd up? see neon_local status)';
  return 'the upload is not done yet';
}

async function askAll(
  set: SafekeeperSet,
  ref: TimelineRef,
): Promise<SafekeeperAnswer<OffloadDocument>[]> {
  return askSafekeepers(set, (client) => client.offload(ref.tenantId, ref.timelineId), {
    deadlineMs: OFFLOAD_DEADLINE_MS,
  });
}

/** Every segment object from the timeline's first segment below `targetLsn`, at its size. */
async function checkObjects(
  set: SafekeeperSet,
  ref: TimelineRef,
  firstLsn: Lsn,
  targetLsn: Lsn,
  segmentSizeBytes: number,
): Promise<{ count: number; bytes: number; missing: string[] }> {
  const prefix = `${set.config.remoteStorage.prefix}/${ref.tenantId}/${ref.timelineId}/`;
  const listing = await listStorage(set.config, prefix, true, set.layout);
  const sizes = new Map(listing.objects.map((o) => [o.key.slice(prefix.length), o.size]));
  const missing: string[] = [];
  let count = 0;
  for (
    let segno = segmentNumberOf(firstLsn, segmentSizeBytes);
    segmentStartLsn(segno + 1n, segmentSizeBytes) <= targetLsn;
    segno++
  ) {
    const name = segmentFileName(segno, segmentSizeBytes);
    if (sizes.get(name) === segmentSizeBytes) count++;
    else missing.push(sizes.has(name) ? `${name} (${sizes.get(name)} bytes)` : name);
  }
  return { count, bytes: count * segmentSizeBytes, missing };
}

export async function offloadTimeline(
  set: SafekeeperSet,
  ref: TimelineRef,
  options: { readonly wait: boolean; readonly timeoutMs: number },
): Promise<{ result: OffloadResult; problem: AppError | undefined }> {
  const deadlineAtMs = Date.now() + options.timeoutMs;
  let answers = await askAll(set, ref);
  const answered = answers.flatMap((answer) =>
    answer.result === undefined ? [] : [answer.result],
  );
  const notConfigured = answers.find(
    (answer) => answer.error?.code === 'wrong-state' && /not configured/.test(answer.error.message),
  );
  if (answered.length === 0 && notConfigured !== undefined)
    throw new AppError(
      'wrong-state',
      notConfigured.error?.message ?? 'WAL backup is not configured',
      {
        hints: ['Set [[safekeepers]] wal_backup = true in the config and restart the safekeepers.'],
      },
    );
  const statuses = await askSafekeepers(set, (client) =>
    client.timelineStatus(ref.tenantId, ref.timelineId),
  );
  const known = statuses.flatMap((answer) => (answer.result === undefined ? [] : [answer.result]));
  const segmentSizeBytes = known[0]?.server.wal_seg_size ?? 0;
  if (segmentSizeBytes === 0)
    throw new AppError('wrong-state', `timeline ${ref.tenantId}/${ref.timelineId} has no WAL yet`);
  const commit = highest(known.map((status) => parseLsn(status.commit_lsn)));
  const target = segmentStartLsn(segmentNumberOf(commit, segmentSizeBytes), segmentSizeBytes);
  const firstLsn = parseLsn(known[0]?.timeline_start_lsn ?? '0/0');
  let backup = highest(answered.map((doc) => parseLsn(doc.backup_lsn)));
  let objects: OffloadResult['objects'] = null;
  let problem: AppError | undefined;
  if (options.wait) {
    for (;;) {
      if (backup >= target) {
        try {
          const checked = await checkObjects(set, ref, firstLsn, target, segmentSizeBytes);
          if (checked.missing.length === 0) {
            objects = { count: checked.count, bytes: checked.bytes };
            break;
          }
          if (Date.now() >= deadlineAtMs) {
            problem = new AppError(
              'timed-out',
              `backup_lsn is ${formatLsn(backup)} but the bucket lacks ${checked.missing.slice(0, 5).join(', ')}`,
            );
            break;
          }
        } catch (error) {
          problem = new AppError('unavailable', describeError(error));
          break;
        }
      }
      if (Date.now() >= deadlineAtMs) {
        problem = new AppError(
          'timed-out',
          `offload did not reach ${formatLsn(target)} within ${formatDurationMs(options.timeoutMs)} (backup_lsn ${formatLsn(backup)}): ${whyNot(answers)}`,
          { hints: ['See `neon_local sk timeline list` and `neon_local logs`.'] },
        );
        break;
      }
      await sleepMs(WAIT_POLL_MS);
      // Ask again: a new leader may have been elected, or a backoff may be waiting.
      answers = await askAll(set, ref);
      backup = highest([
        backup,
        ...answers.flatMap((a) => (a.result === undefined ? [] : [parseLsn(a.result.backup_lsn)])),
      ]);
    }
  }
  problem ??= partialAnswerError(answers, `offloading ${ref.tenantId}/${ref.timelineId}`);
  return {
    result: {
      tenant_id: ref.tenantId,
      timeline_id: ref.timelineId,
      target_lsn: formatLsn(target),
      backup_lsn: formatLsn(backup),
      leader_node_id: leaderOf(answers),
      objects,
      safekeepers: answers,
    },
    problem,
  };
}
