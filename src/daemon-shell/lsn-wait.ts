// The long poll both daemons serve on a timeline position (GET
// /v1/tenant/:tenant/timeline/:timeline/wait?lsn=NAME&at_least=X/Y&timeout_ms=N): the query's
// checks, and the wait itself, which ends when the position is reached, after N ms (at most
// 30 s) or when the client hangs up. Each daemon says which names it has and how to wait.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseLsn, type Lsn } from '../postgres/lsn.js';
import { badRequest } from './http-io.js';

export const WAIT_TIMEOUT_MAX_MS = 30_000;
const WAIT_TIMEOUT_DEFAULT_MS = 10_000;

export interface LsnWaitQuery<Name extends string> {
  readonly lsnName: Name;
  readonly targetLsn: Lsn;
  readonly timeoutMs: number;
}

/** The query of a wait request; a name not in `names`, a bad LSN or timeout is a 400. */
export function parseLsnWaitQuery<Name extends string>(
  req: IncomingMessage,
  names: readonly Name[],
): LsnWaitQuery<Name> {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const lsnName = query.get('lsn') ?? '';
  if (!(names as readonly string[]).includes(lsnName))
    throw badRequest(`invalid lsn "${lsnName}": expected one of ${names.join(', ')}`);
  const targetLsn = parseLsn(query.get('at_least') ?? '', 'at_least');
  const timeoutText = query.get('timeout_ms') ?? String(WAIT_TIMEOUT_DEFAULT_MS);
  const timeoutMs = /^\d{1,6}$/.test(timeoutText) ? Number(timeoutText) : NaN;
  if (!(timeoutMs >= 0 && timeoutMs <= WAIT_TIMEOUT_MAX_MS))
    throw badRequest(`invalid timeout_ms "${timeoutText}": expected 0..${WAIT_TIMEOUT_MAX_MS}`);
  return { lsnName: lsnName as Name, targetLsn, timeoutMs };
}

/**
 * Runs `wait` with a signal that aborts after `timeoutMs` or when the client of `res` hangs up;
 * resolves with what `wait` resolved (whether the position was reached).
 */
export async function waitWhileConnected(
  res: ServerResponse,
  timeoutMs: number,
  wait: (signal: AbortSignal) => Promise<boolean>,
): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const onClose = (): void => abort.abort();
  res.once('close', onClose);
  try {
    return await wait(abort.signal);
  } finally {
    clearTimeout(timer);
    res.off('close', onClose);
  }
}
