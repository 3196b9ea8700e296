// Every timeout, interval and bound of the pageserver in one place (the intervals the user sets
// are in config.ts).

/** TCP connect plus the startup exchange with a safekeeper's WAL service. */
export const CONNECT_TIMEOUT_MS = 5000;
/**
 * From the pageserver's start: a safekeeper that refuses connections this early and has not
 * answered yet is still starting (`neon_local start` starts them all at once), not failing, and
 * discovery does not warn about it.
 */
export const DISCOVERY_STARTUP_GRACE_MS = 10_000;
/** One GET /v1/timelines of a discovery round. */
export const DISCOVERY_REQUEST_TIMEOUT_MS = 2000;
/** Largest admin API answer read from a safekeeper (a misbehaving one cannot fill memory). */
export const DISCOVERY_RESPONSE_MAX_BYTES = 8 * 1024 * 1024;
/** After a failed connection, that safekeeper is not chosen again for this long. */
export const SOURCE_FAILURE_PENALTY_MS = 3000;
/** Waits between connection attempts of one timeline: doubling from min to max. */
export const RECONNECT_BACKOFF_MIN_MS = 100;
export const RECONNECT_BACKOFF_MAX_MS = 5000;
/** A stream that delivers nothing (not even a keepalive) for this long is given up. */
export const STREAM_IDLE_TIMEOUT_MS = 15_000;
/**
 * While WAL streams in, the local WAL is fdatasynced at most this often (a lone write is synced
 * at once). Each sync covers everything written meanwhile; durable_lsn waits for it, and the
 * feedback that reports it goes out at most every FEEDBACK_INTERVAL_MS anyway.
 */
export const SYNC_INTERVAL_MS = 10;
/** Received WAL waiting to be written: above it the stream stops reading (TCP backpressure). */
export const WRITE_QUEUE_MAX_BYTES = 8 * 1024 * 1024;
/** Largest CopyData frame accepted from a safekeeper (128 KiB of WAL plus headers, with room). */
export const REPLICATION_MESSAGE_MAX_BYTES = 1024 * 1024;
/** One S3 request (a 16 MiB PUT included). */
export const S3_REQUEST_TIMEOUT_MS = 60_000;
export const S3_ATTEMPTS_MAX = 3;
/** Timelines a pageserver keeps (each is a directory, a task and a connection). */
export const TIMELINES_MAX = 1000;
/** How long SIGTERM gives the tasks to stop. */
export const DRAIN_TIMEOUT_MS = 5000;
/** Feedback ('z', 'r') while WAL streams in: at most once per this interval (urgent ones at once). */
export const FEEDBACK_INTERVAL_MS = 100;
