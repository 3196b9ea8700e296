// `sk timeline wait`: until a condition holds on every (or the given) safekeeper. LSN conditions
// (`commit_lsn>=X/Y`, also backup_lsn, remote_consistent_lsn, flush_lsn, peer_horizon_lsn) are
// long polls on each safekeeper's change events (GET .../wait), not status polling;
// `trimmed-before=X/Y` (no local segment below the one holding X/Y is left) reads the status
// every TRIM_POLL_MS, as removing files raises no LSN. `X/Y` may be `commit`: the highest
// commit_lsn the safekeepers show when the wait starts. A safekeeper that is down or paused is
// asked again until the deadline; the outcome names each one's value or state.
import { AppError, describeError, isAppError } from '../common/errors.js';
import type { NodeId } from '../common/ids.js';
import { formatLsn, parseLsn, type Lsn } from '../postgres/lsn.js';
import { segmentFileName, segmentNumberOf } from '../postgres/segment-name.js';
import { sleepMs } from '../common/deadline.js';
import { formatDurationMs } from '../common/units.js';
import type { TimelineRef } from './cluster-timelines.js';
import { askSafekeepers, failureLabel, type SafekeeperSet } from './safekeeper-fanout.js';

export const WAITABLE_LSNS = [
  'commit_lsn',
  'flush_lsn',
  'backup_lsn',
  'remote_consistent_lsn',
  'peer_horizon_lsn',
] as const;
export type WaitableLsn = (typeof WAITABLE_LSNS)[number];

export type WaitCondition =
  | { readonly kind: 'lsn'; readonly lsn: WaitableLsn; readonly target: Lsn | 'commit' }
  | { readonly kind: 'trimmed-before'; readonly target: Lsn | 'commit' };

/** One long poll at most this long (the safekeeper caps it at 30 s). */
const LONG_POLL_MS = 10_000;
const RETRY_MS = 250;
const TRIM_POLL_MS = 200;

const SYNTAX = `expected NAME>=X/Y (NAME one of ${WAITABLE_LSNS.join(', ')}) or trimmed-before=X/Y; X/Y may be "commit"`;

export function parseWaitCondition(text: string): WaitCondition {
  const fail = (): never => {
    throw new AppError('usage', `invalid --until "${text}": ${SYNTAX}`, {
      hints: ['e.g. --until commit_lsn>=0/3000000 or --until trimmed-before=commit'],
    });
  };
  const target = (value: string): Lsn | 'commit' => {
    if (value === 'commit') return 'commit';
    try {
      return parseLsn(value, '--until LSN');
    } catch {
      return fail();
    }
  };
  const trimmed = /^trimmed-before=(.+)$/.exec(text.trim());
  if (trimmed?.[1] !== undefined) return { kind: 'trimmed-before', target: target(trimmed[1]) };
  const lsn = /^([a-z_]+)\s*>=\s*(.+)$/.exec(text.trim());
  const name = lsn?.[1];
  if (name === undefined || lsn?.[2] === undefined) return fail();
  if (!(WAITABLE_LSNS as readonly string[]).includes(name)) return fail();
  return { kind: 'lsn', lsn: name as WaitableLsn, target: target(lsn[2]) };
}

export function describeCondition(condition: WaitCondition, target: Lsn): string {
  return condition.kind === 'lsn'
    ? `${condition.lsn}>=${formatLsn(target)}`
    : `trimmed-before=${formatLsn(target)}`;
}

export interface SafekeeperWaitState {
  readonly id: NodeId;
  readonly reached: boolean;
  /** The LSN last seen (for trimmed-before: the first local segment), null when never answered. */
  readonly value: string | null;
  /** Why it did not answer last (down, paused, an error); null when it did. */
  readonly problem: string | null;
}

export interface WaitOutcome {
  readonly condition: string;
  readonly reached: boolean;
  readonly waited_ms: number;
  readonly safekeepers: readonly SafekeeperWaitState[];
}

/** The highest commit_lsn any of the safekeepers shows now. */
async function currentCommit(
  set: SafekeeperSet,
  ref: TimelineRef,
  ids: readonly NodeId[],
): Promise<Lsn> {
  const answers = await askSafekeepers(
    set,
    (client) => client.timelineStatus(ref.tenantId, ref.timelineId),
    { ids },
  );
  let commit: Lsn | undefined;
  for (const answer of answers)
    if (answer.result !== undefined) {
      const lsn = parseLsn(answer.result.commit_lsn);
      if (commit === undefined || lsn > commit) commit = lsn;
    }
  if (commit === undefined)
    throw new AppError('unavailable', 'no safekeeper answered: "commit" has no value', {
      hints: ['See `neon_local status`.'],
    });
  return commit;
}

interface Probe {
  readonly reached: boolean;
  readonly value: string;
}

/** One question to one safekeeper: the long poll, or the status for trimmed-before. */
async function probe(
  set: SafekeeperSet,
  ref: TimelineRef,
  id: NodeId,
  condition: WaitCondition,
  target: Lsn,
  remainingMs: number,
): Promise<{ probe?: Probe; problem?: string; fatal?: AppError }> {
  const pollMs = Math.max(0, Math.min(LONG_POLL_MS, remainingMs));
  const [answer] = await askSafekeepers(
    set,
    async (client): Promise<Probe> => {
      if (condition.kind === 'lsn') {
        const waited = await client.waitForLsn(
          ref.tenantId,
          ref.timelineId,
          condition.lsn,
          formatLsn(target),
          pollMs,
        );
        return { reached: waited.reached, value: waited.value };
      }
      const status = await client.timelineStatus(ref.tenantId, ref.timelineId);
      const first = status.local_segments.first;
      const segmentSizeBytes = status.server.wal_seg_size;
      const targetName =
        segmentSizeBytes === 0
          ? null
          : segmentFileName(segmentNumberOf(target, segmentSizeBytes), segmentSizeBytes);
      return {
        reached: first === null || (targetName !== null && first >= targetName),
        value: first ?? 'no segments',
      };
    },
    { ids: [id], deadlineMs: pollMs + 2000 },
  );
  if (answer === undefined) return { problem: 'no answer' };
  if (answer.result !== undefined) return { probe: answer.result };
  // An unknown timeline or a bad request will not get better by asking again.
  const code = answer.error?.code;
  if (answer.state === 'error' && (code === 'not-found' || code === 'usage'))
    return {
      fatal: new AppError(code, answer.error?.message ?? 'error'),
    };
  return { problem: failureLabel(answer) };
}

async function waitOne(
  set: SafekeeperSet,
  ref: TimelineRef,
  id: NodeId,
  condition: WaitCondition,
  target: Lsn,
  deadlineAtMs: number,
): Promise<SafekeeperWaitState> {
  let value: string | null = null;
  let problem: string | null = null;
  for (;;) {
    const remainingMs = deadlineAtMs - Date.now();
    const result = await probe(set, ref, id, condition, target, remainingMs);
    if (result.fatal !== undefined) throw result.fatal;
    if (result.probe !== undefined) {
      value = result.probe.value;
      problem = null;
      if (result.probe.reached) return { id, reached: true, value, problem };
    } else problem = result.problem ?? 'no answer';
    if (Date.now() >= deadlineAtMs) return { id, reached: false, value, problem };
    // A long poll that answered "not yet" has waited already; a trim check or a failure waits.
    if (condition.kind === 'trimmed-before' || result.probe === undefined)
      await sleepMs(Math.min(condition.kind === 'lsn' ? RETRY_MS : TRIM_POLL_MS, remainingMs));
  }
}

/** Waits for every condition in turn (they only ever become true and stay so). */
export async function waitForConditions(
  set: SafekeeperSet,
  ref: TimelineRef,
  conditions: readonly WaitCondition[],
  options: { readonly ids: readonly NodeId[]; readonly timeoutMs: number },
): Promise<WaitOutcome[]> {
  const startedAtMs = Date.now();
  const deadlineAtMs = startedAtMs + options.timeoutMs;
  const outcomes: WaitOutcome[] = [];
  let commit: Lsn | undefined;
  for (const condition of conditions) {
    let target: Lsn;
    if (condition.target === 'commit')
      target = commit ??= await currentCommit(set, ref, options.ids);
    else target = condition.target;
    let states: SafekeeperWaitState[];
    try {
      states = await Promise.all(
        options.ids.map((id) => waitOne(set, ref, id, condition, target, deadlineAtMs)),
      );
    } catch (error) {
      throw isAppError(error) ? error : new AppError('internal', describeError(error));
    }
    const reached = states.every((state) => state.reached);
    outcomes.push({
      condition: describeCondition(condition, target),
      reached,
      waited_ms: Date.now() - startedAtMs,
      safekeepers: states,
    });
    if (!reached) break;
  }
  return outcomes;
}

/** The timeout as an error naming each safekeeper's value or state; undefined when all held. */
export function waitTimeoutError(
  outcomes: readonly WaitOutcome[],
  timeoutMs: number,
): AppError | undefined {
  const failed = outcomes.find((outcome) => !outcome.reached);
  if (failed === undefined) return undefined;
  const where = failed.safekeepers
    .filter((state) => !state.reached)
    .map((state) => `safekeeper ${state.id}: ${state.problem ?? `at ${state.value ?? 'unknown'}`}`)
    .join('; ');
  const hints = failed.safekeepers.flatMap((state) => {
    if (state.reached) return [];
    if (state.problem === 'paused')
      return [`Resume safekeeper ${state.id} with \`neon_local sk resume ${state.id}\`.`];
    if (state.problem === 'down')
      return [`Start safekeeper ${state.id} with \`neon_local sk start ${state.id}\`.`];
    return [];
  });
  return new AppError(
    'timed-out',
    `${failed.condition} did not hold within ${formatDurationMs(timeoutMs)} (${where})`,
    {
      hints:
        hints.length > 0
          ? hints
          : ['Run `neon_local sk timeline list` to see the timeline on each safekeeper.'],
    },
  );
}
