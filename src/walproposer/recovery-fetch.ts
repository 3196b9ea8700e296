// Reads a range of WAL from one safekeeper the way neon's walproposer recovers: a replication
// connection with application_name `wal_proposer_recovery` and START_REPLICATION at the first
// LSN wanted. The safekeeper streams up to its flush_lsn; we stop once the range is complete.
import { AppError, asError, describeError } from '../common/errors.js';
import type { TenantId, TimelineId } from '../common/hex-id.js';
import { formatLsn, type Lsn } from '../postgres/lsn.js';
import { decodeXLogData, REPLICATION_TAGS } from '../postgres/wire/replication-messages.js';
import { WireClient } from '../postgres/wire/wire-client.js';
import { RECOVERY_APPLICATION_NAME } from '../protocol/proposer-messages.js';
import { timelineParameters, type AcceptorEndpoint } from './acceptor-link.js';

const XLOG_DATA_TAG = REPLICATION_TAGS.xLogData.charCodeAt(0);
/** How long the proposer gives one read of WAL back from a safekeeper. */
export const RECOVERY_TIMEOUT_MS = 60_000;

export async function fetchWal(
  endpoint: AcceptorEndpoint,
  ids: { readonly tenantId: TenantId; readonly timelineId: TimelineId },
  fromLsn: Lsn,
  toLsn: Lsn,
  timeoutMs: number,
): Promise<Buffer> {
  const what = `WAL ${formatLsn(fromLsn)}..${formatLsn(toLsn)} from safekeeper ${endpoint.id}`;
  const client = await WireClient.connect({
    host: endpoint.host,
    port: endpoint.port,
    parameters: timelineParameters(ids.tenantId, ids.timelineId, RECOVERY_APPLICATION_NAME),
    connectTimeoutMs: timeoutMs,
  });
  const parts: Buffer[] = [];
  let nextLsn = fromLsn;
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new AppError('timed-out', `reading ${what} took over ${timeoutMs} ms`)),
        timeoutMs,
      );
      const finish = (error: Error | undefined, result?: Buffer): void => {
        clearTimeout(timer);
        if (error !== undefined) reject(error);
        else if (result !== undefined) resolve(result);
      };
      client.onClose((error) =>
        finish(
          new AppError(
            'unavailable',
            `reading ${what}: the stream ended at ${formatLsn(nextLsn)}${error === undefined ? '' : `: ${describeError(error)}`}`,
          ),
        ),
      );
      client.onCopyData((payload) => {
        try {
          if (payload[0] !== XLOG_DATA_TAG) return;
          const data = decodeXLogData(payload);
          if (data.walStartLsn !== nextLsn)
            throw new AppError(
              'integrity',
              `reading ${what}: got WAL at ${formatLsn(data.walStartLsn)}, expected ${formatLsn(nextLsn)}`,
            );
          const wanted = Number(toLsn - nextLsn);
          const bytes = data.bytes.length > wanted ? data.bytes.subarray(0, wanted) : data.bytes;
          parts.push(Buffer.from(bytes));
          nextLsn += BigInt(bytes.length);
          if (nextLsn === toLsn) finish(undefined, Buffer.concat(parts));
        } catch (error) {
          finish(asError(error));
        }
      });
      client
        .startCopyBoth(`START_REPLICATION PHYSICAL ${formatLsn(fromLsn)}`)
        .catch((error: unknown) => finish(asError(error)));
    });
  } finally {
    client.destroy();
  }
}
