// What a greeting's server info does to a timeline's: the segment size and system id cannot
// change once known (neon never checked: defect 19), a known PostgreSQL version is kept (a
// mismatch is only logged by the caller, as in neon). Pure: the timeline persists the result.
import { AppError } from '../../common/errors.js';
import type { ServerInfo } from '../control-file/safekeeper-state.js';

/** The server info to persist, or undefined when nothing changes; throws on a conflict. */
export function mergeServerInfo(current: ServerInfo, greeted: ServerInfo): ServerInfo | undefined {
  if (current.walSegSize !== 0 && current.walSegSize !== greeted.walSegSize)
    throw new AppError(
      'wrong-state',
      `WAL segment size ${greeted.walSegSize} differs from the timeline's ${current.walSegSize}`,
    );
  if (current.systemId !== 0n && current.systemId !== greeted.systemId)
    throw new AppError(
      'wrong-state',
      `system id ${greeted.systemId} differs from the timeline's ${current.systemId}`,
    );
  const next: ServerInfo = {
    ...greeted,
    pgVersion: current.pgVersion === 0 ? greeted.pgVersion : current.pgVersion,
  };
  const changed =
    current.walSegSize !== next.walSegSize ||
    current.systemId !== next.systemId ||
    current.pgVersion !== next.pgVersion;
  return changed ? next : undefined;
}
