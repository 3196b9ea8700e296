// What our daemons write to their log once they answer their readiness probe, shared by the
// daemons that write it and the control plane that waits for it (cluster/lifecycle.ts): it then
// asks a starting daemon whether it is ready when the line is there, not at every log write.

/** The pino message of the safekeeper's "started" line (after both ports are bound). */
export const SAFEKEEPER_STARTED_MESSAGE = 'safekeeper started';
/** The pino message of the pageserver's "started" line (after its HTTP port is bound). */
export const PAGESERVER_STARTED_MESSAGE = 'pageserver started';
/** How the embedded S3 server's plain-text "listening" line begins. */
export const S3_SERVER_LISTENING_PREFIX = 's3-server: listening on';

/** How a pino message appears in a JSON log line. */
export function pinoMessageText(message: string): string {
  return `"msg":${JSON.stringify(message)}`;
}
