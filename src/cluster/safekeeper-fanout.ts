// Asking every safekeeper of the cluster the same question, for every command that does so
// (timeline list, create, the TIMELINE lookup; inspect, trim and wait later). Each answer is
// ok, down (no process, or the port refuses), not responding (a paused process, known at once
// from /proc, or no answer within its own short deadline) or error (an API error), so a dead or
// paused safekeeper never hides or delays the others' answers.
import { AppError, describeError, isAppError, type ErrorCode } from '../common/errors.js';
import type { NodeId } from '../common/ids.js';
import { SafekeeperClient } from '../client/safekeeper-client.js';
import { findSafekeeper, type ClusterConfig } from './config.js';
import { ownedProcessState } from './process/pid-file.js';
import { LOOPBACK_HOST } from './process/ports.js';
import type { ProcessIdentity } from './process/pid-file.js';
import type { ComponentPaths, RepoLayout } from './repo-layout.js';

/** Each safekeeper's own deadline for one question. */
export const FANOUT_DEADLINE_MS = 1000;

export type AnswerState = 'ok' | 'down' | 'not-responding' | 'error';

export interface SafekeeperAnswer<T> {
  readonly id: NodeId;
  readonly state: AnswerState;
  /** The process is stopped (SIGSTOP): `not-responding` without waiting for a timeout. */
  readonly paused: boolean;
  readonly result?: T;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/** Where the cluster's safekeepers are: the config, and the repo dir for their pid files. */
export interface SafekeeperSet {
  readonly config: ClusterConfig;
  readonly layout: RepoLayout;
}

/** The HTTP client of one of the cluster's safekeepers (the client's default timeout unless given). */
export function clientFor(config: ClusterConfig, id: NodeId, timeoutMs?: number): SafekeeperClient {
  const sk = findSafekeeper(config, id);
  return new SafekeeperClient(
    `safekeeper ${id}`,
    `http://${LOOPBACK_HOST}:${sk.httpPort}`,
    timeoutMs,
  );
}

/** What its pid file and /proc say of a component's process (no owned pid: down). */
async function checkProcess(
  paths: ComponentPaths,
  identity: ProcessIdentity,
): Promise<'running' | 'paused' | 'down'> {
  return (await ownedProcessState(paths.pidFile, identity)).state;
}

/** Whether safekeeper `id` runs, is paused, or is down, from its pid file and /proc. */
export function safekeeperProcessState(
  set: SafekeeperSet,
  id: NodeId,
): Promise<'running' | 'paused' | 'down'> {
  const paths = set.layout.safekeeper(id);
  return checkProcess(paths, { program: 'safekeeper.js', dataDir: paths.dataDir });
}

function stateOfError(code: ErrorCode): AnswerState {
  if (code === 'unavailable') return 'down';
  if (code === 'timed-out') return 'not-responding';
  return 'error';
}

/** One answer of a daemon, with or without an id: what the fan-out and the pageserver share. */
export type DaemonAnswer<T> = Omit<SafekeeperAnswer<T>, 'id'>;

/**
 * Asks one of our daemons (a safekeeper, the pageserver) one question: a paused process is
 * `not-responding` at once, a missing one `down`, without a network call; `what` names it in
 * the messages ("safekeeper 2", "the pageserver").
 */
export async function askDaemon<T>(
  daemon: { readonly paths: ComponentPaths; readonly identity: ProcessIdentity },
  what: string,
  action: () => Promise<T>,
): Promise<DaemonAnswer<T>> {
  const processState = await checkProcess(daemon.paths, daemon.identity);
  if (processState === 'paused')
    return {
      state: 'not-responding',
      paused: true,
      error: { code: 'timed-out', message: `${what}: paused (SIGSTOP)` },
    };
  if (processState === 'down')
    return {
      state: 'down',
      paused: false,
      error: { code: 'unavailable', message: `${what}: not running` },
    };
  try {
    return { state: 'ok', paused: false, result: await action() };
  } catch (error) {
    const code = isAppError(error) ? error.code : 'internal';
    return {
      state: stateOfError(code),
      paused: false,
      error: { code, message: describeError(error) },
    };
  }
}

async function askOne<T>(
  set: SafekeeperSet,
  id: NodeId,
  action: (client: SafekeeperClient) => Promise<T>,
  deadlineMs: number,
): Promise<SafekeeperAnswer<T>> {
  const paths = set.layout.safekeeper(id);
  const identity = { program: 'safekeeper.js', dataDir: paths.dataDir };
  const answer = await askDaemon({ paths, identity }, `safekeeper ${id}`, () =>
    action(clientFor(set.config, id, deadlineMs)),
  );
  return { id, ...answer };
}

/** Asks every (or the given) safekeeper in parallel; answers come back in config order. */
export function askSafekeepers<T>(
  set: SafekeeperSet,
  action: (client: SafekeeperClient) => Promise<T>,
  options: { readonly ids?: readonly NodeId[]; readonly deadlineMs?: number } = {},
): Promise<SafekeeperAnswer<T>[]> {
  const ids = options.ids ?? set.config.safekeepers.map((sk) => sk.id);
  for (const id of ids) findSafekeeper(set.config, id);
  return Promise.all(
    ids.map((id) => askOne(set, id, action, options.deadlineMs ?? FANOUT_DEADLINE_MS)),
  );
}

/** What went wrong with one answer, without the "safekeeper N: " its messages start with. */
export function failureLabel(answer: SafekeeperAnswer<unknown>): string {
  if (answer.paused) return 'paused';
  if (answer.state === 'down') return 'down';
  if (answer.state === 'not-responding') return 'not responding';
  // The client's messages name the safekeeper already; the grouping below names it once.
  return (answer.error?.message ?? 'error').replace(/^safekeeper \d+: /, '');
}

/**
 * The failed answers in words, safekeepers with the same problem together:
 * "safekeeper 3: down; safekeeper 1, 2: timeline ... already exists".
 */
export function describeFailures(answers: readonly SafekeeperAnswer<unknown>[]): string {
  const idsByLabel = new Map<string, NodeId[]>();
  for (const answer of answers) {
    if (answer.state === 'ok') continue;
    const label = failureLabel(answer);
    idsByLabel.set(label, [...(idsByLabel.get(label) ?? []), answer.id]);
  }
  return [...idsByLabel].map(([label, ids]) => `safekeeper ${ids.join(', ')}: ${label}`).join('; ');
}

/** What to do about a safekeeper that did not answer. */
function hintFor(answer: SafekeeperAnswer<unknown>): string {
  if (answer.paused)
    return `Resume safekeeper ${answer.id} with \`neon_local sk resume ${answer.id}\`.`;
  if (answer.state === 'down')
    return `Start safekeeper ${answer.id} with \`neon_local sk start ${answer.id}\`.`;
  return `See \`neon_local status\` and \`neon_local logs sk${answer.id}\`.`;
}

/**
 * A partial answer as an error, undefined when every safekeeper answered: exit 6 when one is
 * down, paused or silent (the others' answers are still shown), else the first API error's code.
 */
export function partialAnswerError(
  answers: readonly SafekeeperAnswer<unknown>[],
  what: string,
): AppError | undefined {
  const failed = answers.filter((answer) => answer.state !== 'ok');
  const first = failed[0];
  if (first === undefined) return undefined;
  const unreachable = failed.filter((answer) => answer.state !== 'error');
  const code = unreachable.length === 0 ? (first.error?.code ?? 'internal') : 'unavailable';
  const hints =
    unreachable.length === 0
      ? [`See \`neon_local logs sk${first.id}\` for what the safekeeper did.`]
      : unreachable.map(hintFor);
  return new AppError(code, `${what}: ${describeFailures(answers)}`, { hints });
}
