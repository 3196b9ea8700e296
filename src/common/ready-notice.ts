// How a daemon the control plane spawns says that it is ready, as systemd's sd_notify and s6's
// notification-fd do: the control plane hands it one end of a socket pair as a file descriptor
// and names the descriptor in READY_FD_ENV; once the daemon would answer its readiness probe, it
// writes one line there, the JSON document its probe would answer (GET /v1/status, or the bucket
// list of the embedded S3 server), and closes the descriptor. The control plane reads that line
// as it would read the probe's answer, so a start asks no daemon it spawned anything. A daemon
// started by hand has no such variable and writes nothing; a daemon that dies first closes the
// descriptor with nothing written, and the control plane falls back to probing.
//
// Shared by the daemons that send the notice (daemon-shell/ready-notice.ts) and the control plane
// that waits for it (cluster/process/spawn-daemon.ts).

/** The variable naming the notice's file descriptor. */
export const READY_FD_ENV = 'NEON_LOCAL_READY_FD';
/** The descriptor the control plane passes (the first after stdin, stdout and stderr). */
export const READY_NOTICE_FD = 3;
/** A longer notice is not one: the control plane stops reading and probes instead. */
export const READY_NOTICE_MAX_BYTES = 64 * 1024;

/** The embedded S3 server's notice: where it listens and the buckets it created before. */
export interface S3ServerReadyNotice {
  readonly address: string;
  readonly port: number;
  readonly buckets: readonly string[];
}
