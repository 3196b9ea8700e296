// Flag and argument definitions shared by several commands.
import { Args, Flags } from '@oclif/core';
import { STOP_MODES } from '../cluster/process/stop-process.js';
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

export const safekeeperIdArg = Args.string({
  description: 'Safekeeper id (see `neon_local sk list`).',
  required: true,
});

export function timeoutMsFrom(text: string): number {
  return parseDurationMs(text, 'timeout');
}

export { parseNodeId };
