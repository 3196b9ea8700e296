// Flag and argument definitions shared by several commands.
import { Args, Flags } from '@oclif/core';
import { STOP_MODES } from '../cluster/process/stop-process.js';
import { AppError } from '../common/errors.js';
import { parseNodeId } from '../common/ids.js';
import { parseDurationMs } from '../common/units.js';

export const timeoutFlag = (defaultText: string, what: string) =>
  Flags.string({ description: `Wall-clock limit ${what} (e.g. 30s, 2m).`, default: defaultText });

export const stopModeFlag = Flags.option({
  char: 'm',
  description: 'fast: SIGTERM, then SIGKILL after 10s; immediate: SIGKILL at once.',
  options: STOP_MODES,
  default: 'fast',
})();

/** The TIMELINE argument of the timeline commands (resolved by resolveTimelineRef). */
export const timelineArg = Args.string({
  description: 'TENANT/TIMELINE, or a timeline id the safekeepers hold under one tenant.',
  required: true,
});

export const safekeeperIdArg = Args.string({
  description: 'Safekeeper id (see `neon_local sk list`).',
  required: true,
});

/** A --timeout value: a positive duration (0 would give up before starting: a usage error). */
export function timeoutMsFrom(text: string): number {
  const timeoutMs = parseDurationMs(text, '--timeout');
  if (timeoutMs <= 0)
    throw new AppError('usage', `invalid --timeout "${text}": it must be longer than 0`, {
      hints: ['Write a duration like 500ms, 30s or 2m.'],
    });
  return timeoutMs;
}

export { parseNodeId };
