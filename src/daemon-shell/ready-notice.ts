// The daemon's side of the readiness notice (common/ready-notice.ts): one line with the status
// document, then the descriptor is closed, once and only if the control plane asked for it.
import { closeSync, writeSync } from 'node:fs';
import { READY_FD_ENV } from '../common/ready-notice.js';

/**
 * Writes `document` as one JSON line to the descriptor named in READY_FD_ENV and closes it; does
 * nothing without the variable. Never throws: a control plane that has gone (EPIPE) or a
 * descriptor that is not open changes nothing for the daemon. The variable is removed, so a
 * second call (or a child process) finds none.
 */
export function sendReadyNotice(document: unknown, env: NodeJS.ProcessEnv = process.env): void {
  const value = env[READY_FD_ENV];
  if (value === undefined) return;
  Reflect.deleteProperty(env, READY_FD_ENV);
  const fd = Number(value);
  // 0-2 are the daemon's own stdio (its log): never close those.
  if (!/^\d+$/.test(value) || fd < 3) return;
  try {
    writeSync(fd, `${JSON.stringify(document)}\n`);
  } catch {
    // Nobody reads the notice any more.
  }
  try {
    closeSync(fd);
  } catch {
    // Not open: nothing to close.
  }
}
