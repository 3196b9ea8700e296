// The cluster's pageserver over its admin API (docs/pageserver.md): ask it a question with the
// fan-out's rules (a paused or stopped process is known at once, a short deadline otherwise),
// tell it about a new timeline, and run a checkpoint, optionally until the safekeeper it streams
// from shows the uploaded end as remote_consistent_lsn. Loaded on use.
import { AppError, describeError, type ErrorCode } from '../common/errors.js';
import { Deadline, sleepMs } from '../common/deadline.js';
import type { NodeId } from '../common/ids.js';
import { formatLsn, parseLsn, type Lsn } from '../postgres/lsn.js';
import { PageserverClient } from '../client/pageserver-client.js';
import type { TimelineRef } from './cluster-timelines.js';
import { pageserverComponent, pageserverHttpUrl } from './components/pageserver.js';
import {
  askDaemon,
  askSafekeepers,
  clientFor,
  describeFailures,
  FANOUT_DEADLINE_MS,
  partialAnswerError,
  type DaemonAnswer,
  type SafekeeperAnswer,
  type SafekeeperSet,
} from './safekeeper-fanout.js';

/** How often `checkpoint --wait` reads the pageserver's and the source safekeeper's state. */
const POLL_MS = 50;

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

interface PageserverFailure {
  readonly code: ErrorCode;
  /** "paused", "down", or the API's message. */
  readonly label: string;
  readonly hint: string;
}

/** What went wrong with the pageserver's answer, and what to do about it. */
function pageserverFailure(
  set: SafekeeperSet,
  answer: DaemonAnswer<unknown> | undefined,
): PageserverFailure | undefined {
  if (answer === undefined || answer.state === 'ok') return undefined;
  if (answer.paused)
    return {
      code: 'unavailable',
      label: 'paused',
      hint: `The pageserver was stopped with SIGSTOP: send it SIGCONT (\`kill -CONT $(cat ${set.layout.pageserver.pidFile})\`).`,
    };
  if (answer.state === 'down')
    return { code: 'unavailable', label: 'down', hint: 'Start it with `neon_local start`.' };
  if (answer.state === 'not-responding')
    return {
      code: 'unavailable',
      label: 'not responding',
      hint: 'See `neon_local status` and `neon_local logs pageserver`.',
    };
  return {
    code: answer.error?.code ?? 'internal',
    label: (answer.error?.message ?? 'error').replace(/^the pageserver: /, ''),
    hint: 'See `neon_local logs pageserver`.',
  };
}

/**
 * A partial answer of the safekeepers and the pageserver as one error (undefined when all
 * answered): "listing timelines: safekeeper 2: down; the pageserver: paused", exit 6 when any
 * of them is down, paused or silent.
 */
export function clusterAnswerError(
  set: SafekeeperSet,
  what: string,
  safekeepers: readonly SafekeeperAnswer<unknown>[],
  pageserver: DaemonAnswer<unknown> | undefined,
): AppError | undefined {
  const safekeeperProblem = partialAnswerError(safekeepers, what);
  const failure = pageserverFailure(set, pageserver);
  if (failure === undefined) return safekeeperProblem;
  if (safekeeperProblem === undefined)
    return new AppError(failure.code, `${what}: the pageserver: ${failure.label}`, {
      hints: [failure.hint],
    });
  const code = [safekeeperProblem.code, failure.code].includes('unavailable')
    ? 'unavailable'
    : safekeeperProblem.code;
  return new AppError(code, `${safekeeperProblem.message}; the pageserver: ${failure.label}`, {
    hints: [...safekeeperProblem.hints, failure.hint],
  });
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
  const failure = pageserverFailure(set, answer);
  throw new AppError(
    failure?.code ?? 'internal',
    `the pageserver: ${failure?.label ?? 'no answer'}`,
    {
      hints: failure === undefined ? [] : [failure.hint],
    },
  );
}

export interface CheckpointOptions {
  /**
   * First wait until the pageserver holds everything committed when the call began, then, after
   * the checkpoint, until the safekeeper it streams from shows the uploaded end as
   * remote_consistent_lsn.
   */
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
  if (options.wait === true)
    await waitPageserverHolds(set, ref, await committedLsn(set, ref), deadline);
  const checkpoint = await requirePageserver(
    set,
    (client) => client.checkpoint(tenantId, timelineId),
    Math.max(1, deadline.remainingMs()),
  );
  const uploaded = parseLsn(checkpoint.uploaded_lsn);
  const result = {
    tenant_id: tenantId,
    timeline_id: timelineId,
    uploaded_lsn: checkpoint.uploaded_lsn,
    objects: checkpoint.objects,
    bytes: checkpoint.bytes,
  };
  if (options.wait !== true) {
    const source = await sourceOf(set, ref);
    return { ...result, safekeeper_id: source?.id ?? null, remote_consistent_lsn: null };
  }
  const shown = await waitRemoteConsistent(set, ref, uploaded, deadline);
  return {
    ...result,
    safekeeper_id: shown.safekeeperId,
    remote_consistent_lsn: formatLsn(shown.lsn),
  };
}

/** The highest commit_lsn of the timeline among the safekeepers that answer now. */
async function committedLsn(set: SafekeeperSet, ref: TimelineRef): Promise<Lsn> {
  const answers = await askSafekeepers(set, (client) =>
    client.timelineStatus(ref.tenantId, ref.timelineId),
  );
  const known = answers.flatMap((answer) =>
    answer.result === undefined ? [] : [parseLsn(answer.result.commit_lsn)],
  );
  if (known.length === 0)
    throw new AppError(
      'unavailable',
      `no safekeeper answered for timeline ${ref.tenantId}/${ref.timelineId}: ${describeFailures(answers)}`,
      { hints: ['See `neon_local status`.'] },
    );
  return known.reduce((max, lsn) => (lsn > max ? lsn : max));
}

/** Waits until the pageserver has `target` durably on its disk. */
async function waitPageserverHolds(
  set: SafekeeperSet,
  ref: TimelineRef,
  target: Lsn,
  deadline: Deadline,
): Promise<void> {
  let last = 'no answer yet';
  for (;;) {
    const answer = await askPageserver(set, (client) =>
      client.timeline(ref.tenantId, ref.timelineId),
    );
    const doc = answer?.result;
    if (doc !== undefined) {
      if (parseLsn(doc.durable_lsn) >= target) return;
      last = `it holds up to ${doc.durable_lsn} (${doc.state}${doc.last_error === null ? '' : `: ${doc.last_error}`})`;
    } else if (answer?.error !== undefined) last = answer.error.message;
    if (deadline.isExpired())
      throw new AppError(
        'timed-out',
        `the pageserver did not receive the committed WAL up to ${formatLsn(target)} in time (${last})`,
        { hints: ['See `neon_local logs pageserver`.'] },
      );
    await sleepMs(Math.min(POLL_MS, deadline.remainingMs()));
  }
}

/** The safekeeper the pageserver streams TIMELINE from now, if any (and if it is ours). */
async function sourceOf(set: SafekeeperSet, ref: TimelineRef) {
  const answer = await askPageserver(set, (client) =>
    client.timeline(ref.tenantId, ref.timelineId),
  );
  const id = answer?.result?.source?.safekeeper_id;
  return set.config.safekeepers.find((sk) => sk.id === id);
}

/**
 * Polls the status of the safekeeper the pageserver streams from (read again each time: it may
 * switch) until its remote_consistent_lsn reaches `target`.
 */
async function waitRemoteConsistent(
  set: SafekeeperSet,
  ref: TimelineRef,
  target: Lsn,
  deadline: Deadline,
): Promise<{ safekeeperId: NodeId; lsn: Lsn }> {
  let last = 'no answer yet';
  for (;;) {
    const source = await sourceOf(set, ref);
    if (source === undefined) last = 'the pageserver streams from no safekeeper';
    else {
      try {
        const status = await clientFor(set.config, source.id, FANOUT_DEADLINE_MS).timelineStatus(
          ref.tenantId,
          ref.timelineId,
        );
        const shown = parseLsn(status.remote_consistent_lsn);
        if (shown >= target) return { safekeeperId: source.id, lsn: shown };
        last = `safekeeper ${source.id} shows ${status.remote_consistent_lsn}`;
      } catch (error) {
        last = describeError(error);
      }
    }
    if (deadline.isExpired())
      throw new AppError(
        'timed-out',
        `no safekeeper showed remote_consistent_lsn ${formatLsn(target)} in time (${last})`,
        { hints: ["See `neon_local logs pageserver` and the safekeepers' logs."] },
      );
    await sleepMs(Math.min(POLL_MS, deadline.remainingMs()));
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
