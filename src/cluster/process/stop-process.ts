// Stops one process we own: SIGTERM (fast) or SIGKILL (immediate), SIGCONT so that a paused
// process can act on the signal, a wall-clock deadline, then escalation to SIGKILL.
import { pollUntil } from '../../common/deadline.js';
import { readProcState } from './proc-info.js';

export const STOP_MODES = ['fast', 'immediate'] as const;
export type StopMode = (typeof STOP_MODES)[number];

export interface StopLimits {
  /** How long a graceful stop may take before SIGKILL. */
  readonly gracefulTimeoutMs: number;
  /** How long to wait for a SIGKILLed process to disappear. */
  readonly killTimeoutMs: number;
}

export const DEFAULT_STOP_LIMITS: StopLimits = { gracefulTimeoutMs: 10_000, killTimeoutMs: 5_000 };
const STOP_POLL_INTERVAL_MS = 20;

export interface StopOutcome {
  readonly stopped: boolean;
  readonly escalated: boolean;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const gone = await pollUntil(
    async () => {
      const state = await readProcState(pid);
      return state === 'gone' || state === 'zombie' ? true : undefined;
    },
    { timeoutMs, intervalMs: STOP_POLL_INTERVAL_MS },
  );
  return gone === true;
}

export async function stopProcess(
  pid: number,
  mode: StopMode,
  limits: StopLimits = DEFAULT_STOP_LIMITS,
): Promise<StopOutcome> {
  if (mode === 'fast') {
    signal(pid, 'SIGTERM');
    signal(pid, 'SIGCONT');
    if (await waitGone(pid, limits.gracefulTimeoutMs)) return { stopped: true, escalated: false };
  }
  signal(pid, 'SIGKILL');
  const stopped = await waitGone(pid, limits.killTimeoutMs);
  return { stopped, escalated: mode === 'fast' };
}
