// The cluster's pageserver over its admin API (docs/pageserver.md): ask it a question with the
// fan-out's rules (a paused or stopped process is known at once, a short deadline otherwise),
// tell it about a new timeline, and run a checkpoint, optionally until the safekeeper it streams
// from shows the uploaded end as remote_consistent_lsn. Loaded on use.
import { AppError } from '../common/errors.js';
import { Deadline, sleepMs } from '../common/deadline.js';
import type { NodeId } from '../common/ids.js';
import { formatLsn, parseLsn, type Lsn } from '../postgres/lsn.js';
import { PageserverClient } from '../client/pageserver-client.js';
import type { TimelineRef } from './cluster-timelines.js';
import { pageserverComponent, pageserverHttpUrl } from './components/pageserver.js';
import {
  askDaemon,
  clientFor,
  FANOUT_DEADLINE_MS,
  type DaemonAnswer,
  type SafekeeperSet,
} from './safekeeper-fanout.js';

/** How often `checkpoint --wait` reads the source safekeeper's status. */
const REMOTE_CONSISTENT_POLL_MS = 50;

function requireEnabled(set: SafekeeperSet): void {
  if (!set.config.pageserver.enabled)
    throw new AppError(
      'wrong-state',
      'this cluster runs no pageserver ([pageserver] enabled = false)',
      {
        hints: [
          `Set enabled = true under [pageserver] in ${set.layout.configFile} and run \`neon_local start\`.`,
        ],
      },
    );
}

/** The pageserver's answer, or undefined when the cluster has none ([pageserver] enabled = false). */
export async function askPageserver<T>(
  set: SafekeeperSet,
  action: (client: PageserverClient) => Promise<T>,
  deadlineMs = FANOUT_DEADLINE_MS,
): Promise<DaemonAnswer<T> | undefined> {
  if (!set.config.pageserver.enabled) return undefined;
  const component = pageserverComponent(set.config, set.layout);
  return askDaemon(component, 'the pageserver', () =>
    action(new PageserverClient(pageserverHttpUrl(set.config), deadlineMs)),
  );
}

/** A pageserver that did not answer as a partial answer's error (exit 6), like a safekeeper's. */
export function pageserverProblem(
  answer: DaemonAnswer<unknown> | undefined,
  what: string,
): AppError | undefined {
  if (answer === undefined || answer.state === 'ok') return undefined;
  const label = answer.paused ? 'paused' : answer.state === 'down' ? 'down' : 'not responding';
  const hint =
    answer.state === 'down'
      ? 'Start it with `neon_local start`.'
      : 'See `neon_local status` and `neon_local logs pageserver`.';
  const code = answer.state === 'error' ? (answer.error?.code ?? 'internal') : 'unavailable';
  return new AppError(
    code,
    `${what}: the pageserver: ${answer.state === 'error' ? (answer.error?.message ?? 'error') : label}`,
    {
      hints: [hint],
    },
  );
}

/** The pageserver's answer as a result, or its failure as an AppError with what to do. */
async function requirePageserver<T>(
  set: SafekeeperSet,
  action: (client: PageserverClient) => Promise<T>,
  deadlineMs: number,
): Promise<T> {
  requireEnabled(set);
  const answer = await askPageserver(set, action, deadlineMs);
  if (answer?.state === 'ok') return answer.result as T;
  const message = answer?.error?.message ?? 'the pageserver did not answer';
  if (answer?.paused === true)
    throw new AppError('unavailable', message, {
      hints: [
        'It was stopped with SIGSTOP: send it SIGCONT (`kill -CONT $(cat .neon/pageserver/pageserver.pid)`).',
      ],
    });
  if (answer?.state === 'down')
    throw new AppError('unavailable', message, {
      hints: ['Start the cluster with `neon_local start`.'],
    });
  throw new AppError(answer?.error?.code ?? 'internal', message, {
    hints: ['See `neon_local logs pageserver`.'],
  });
}

export interface CheckpointOptions {
  /** Also wait until the source safekeeper shows the uploaded end as remote_consistent_lsn. */
  readonly wait?: boolean;
  readonly timeoutMs: number;
}

export interface CheckpointResult {
  readonly tenant_id: string;
  readonly timeline_id: string;
  /** End of the WAL the checkpoint uploaded (what the pageserver reports as ps_applylsn). */
  readonly uploaded_lsn: string;
  readonly objects: number;
  readonly bytes: number;
  /** The safekeeper the pageserver streams from, null when it streams from none. */
  readonly safekeeper_id: number | null;
  /** That safekeeper's remote_consistent_lsn once it shows the uploaded end (with wait). */
  readonly remote_consistent_lsn: string | null;
}

export async function checkpointTimeline(
  set: SafekeeperSet,
  ref: TimelineRef,
  options: CheckpointOptions,
): Promise<CheckpointResult> {
  const deadline = new Deadline(options.timeoutMs);
  const { tenantId, timelineId } = ref;
  const checkpoint = await requirePageserver(
    set,
    (client) => client.checkpoint(tenantId, timelineId),
    Math.max(1, deadline.remainingMs()),
  );
  const timeline = await requirePageserver(
    set,
    (client) => client.timeline(tenantId, timelineId),
    FANOUT_DEADLINE_MS,
  );
  const source = set.config.safekeepers.find((sk) => sk.id === timeline.source?.safekeeper_id);
  const safekeeperId = source?.id ?? null;
  const result = {
    tenant_id: tenantId,
    timeline_id: timelineId,
    uploaded_lsn: checkpoint.uploaded_lsn,
    objects: checkpoint.objects,
    bytes: checkpoint.bytes,
    safekeeper_id: safekeeperId,
    remote_consistent_lsn: null,
  };
  if (options.wait !== true) return result;
  if (safekeeperId === null)
    throw new AppError(
      'timed-out',
      `the pageserver uploaded up to ${checkpoint.uploaded_lsn} but streams from no safekeeper, so none can learn it`,
      {
        hints: [
          'Check the safekeepers with `neon_local status`, and `neon_local logs pageserver`.',
        ],
      },
    );
  const shown = await waitRemoteConsistent(
    set,
    ref,
    safekeeperId,
    parseLsn(checkpoint.uploaded_lsn),
    deadline,
  );
  return { ...result, remote_consistent_lsn: formatLsn(shown) };
}

/** Polls one safekeeper's status until its remote_consistent_lsn reaches `target`. */
async function waitRemoteConsistent(
  set: SafekeeperSet,
  ref: TimelineRef,
  safekeeperId: NodeId,
  target: Lsn,
  deadline: Deadline,
): Promise<Lsn> {
  let last = 'no answer yet';
  for (;;) {
    try {
      const status = await clientFor(set.config, safekeeperId, FANOUT_DEADLINE_MS).timelineStatus(
        ref.tenantId,
        ref.timelineId,
      );
      const shown = parseLsn(status.remote_consistent_lsn);
      if (shown >= target) return shown;
      last = `it shows ${status.remote_consistent_lsn}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (deadline.isExpired())
      throw new AppError(
        'timed-out',
        `safekeeper ${safekeeperId} did not show remote_consistent_lsn ${formatLsn(target)} in time (${last})`,
        {
          hints: [
            'See `neon_local logs pageserver` and `neon_local logs sk' +
              String(safekeeperId) +
              '`.',
          ],
        },
      );
    await sleepMs(Math.min(REMOTE_CONSISTENT_POLL_MS, deadline.remainingMs()));
  }
}

/** How telling the pageserver about a new timeline went: null when the cluster has none. */
export type PageserverNotice = Omit<DaemonAnswer<unknown>, 'result'> | null;

/**
 * Tells the pageserver about a timeline now; a failure is only a note, since it finds the
 * timeline on the safekeepers by itself on its next discovery round.
 */
export async function tellPageserver(
  set: SafekeeperSet,
  ref: TimelineRef,
): Promise<PageserverNotice> {
  const answer = await askPageserver(set, (client) =>
    client.attachTimeline(ref.tenantId, ref.timelineId),
  );
  if (answer === undefined) return null;
  return {
    state: answer.state,
    paused: answer.paused,
    ...(answer.error === undefined ? {} : { error: answer.error }),
  };
}
