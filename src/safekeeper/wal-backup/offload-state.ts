// What one timeline's offload is doing, as its task records it and the status, the offload route
// and the metrics read it: the phase, eligibility, segments in flight, the last upload and the
// last failure. Failures are logged here once per change of state (healthy to failing and back),
// never once per retry, so a long S3 or etcd outage does not flood the log.
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { WalBackupDocument, WalBackupPhase } from '../../protocol/timeline-status.js';

/** What the offload reports to the node's metrics (http/metrics.ts implements it). */
export interface WalBackupObserver {
  segmentUploaded(bytes: number, seconds: number): void;
  uploadFailed(): void;
  /** A segment already in the bucket with the right size (a previous leader put it there). */
  segmentFound(): void;
  electionWon(): void;
  /** Leadership ended by a lost lease or an etcd error (not by resigning). */
  leadershipLost(): void;
  /** +1 when this safekeeper starts leading a timeline's election, -1 when it stops. */
  leadingChanged(delta: 1 | -1): void;
}

type FailureKind = 'upload' | 'etcd';

export class OffloadState {
  private phaseNow: WalBackupPhase = 'idle';
  private eligibleNow = false;
  private ineligibleReason: string | null = null;
  private leaderNow = false;
  private readonly inFlight = new Set<string>();
  private lastUploaded: string | null = null;
  private lastUploadAt: string | null = null;
  private lastError: { message: string; at: string; failures: number; kind: FailureKind } | null =
    null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly log: Logger,
    private readonly observer: WalBackupObserver,
  ) {}

  get phase(): WalBackupPhase {
    return this.phaseNow;
  }
  get isLeader(): boolean {
    return this.leaderNow;
  }

  /** Calls `listener` after every change until the returned function is called. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Tells the listeners to look again (the task started or ended). */
  touch(): void {
    this.changed();
  }

  setPhase(phase: WalBackupPhase): void {
    if (phase === this.phaseNow) return;
    this.phaseNow = phase;
    this.changed();
  }

  setEligibility(eligible: boolean, reason: string | null): void {
    if (!eligible && this.ineligibleReason !== reason)
      this.log.info({ reason }, 'not eligible to offload WAL');
    this.eligibleNow = eligible;
    this.ineligibleReason = eligible ? null : reason;
  }

  setLeader(leader: boolean): void {
    if (leader === this.leaderNow) return;
    this.leaderNow = leader;
    this.observer.leadingChanged(leader ? 1 : -1);
    this.changed();
  }

  startUpload(segment: string): void {
    this.inFlight.add(segment);
  }

  endUpload(segment: string, uploaded: boolean): void {
    this.inFlight.delete(segment);
    if (!uploaded) return;
    this.lastUploaded = segment;
    this.lastUploadAt = new Date().toISOString();
  }

  /** Records a failure; logs it when it starts a failing period (or the kind changes). */
  failed(kind: FailureKind, error: unknown): void {
    const message = describeError(error);
    const previous = this.lastError;
    const failures = previous?.kind === kind ? previous.failures + 1 : 1;
    if (failures === 1)
      this.log.warn(
        { err: message, kind },
        kind === 'upload'
          ? 'WAL upload failed; retrying with backoff (logged again only once it recovers)'
          : 'etcd failed during the offload election; campaigning again (logged again only once it recovers)',
      );
    this.lastError = { message, at: new Date().toISOString(), failures, kind };
    this.changed();
  }

  /** A success of `kind` ends a failing period of that kind (logged once). */
  succeeded(kind: FailureKind): void {
    const previous = this.lastError;
    if (previous?.kind !== kind) return;
    this.log.info(
      { kind, failures: previous.failures, since: previous.at },
      kind === 'upload' ? 'WAL upload recovered' : 'etcd recovered for the offload election',
    );
    this.lastError = null;
    this.changed();
  }

  describe(configured: boolean): WalBackupDocument {
    const uploading = [...this.inFlight].sort()[0] ?? null;
    return {
      configured,
      phase: this.phaseNow,
      eligible: this.eligibleNow,
      ineligible_reason: this.ineligibleReason,
      campaigning: this.phaseNow === 'campaigning' || this.phaseNow === 'waiting',
      leader: this.leaderNow,
      uploading_segment: uploading,
      last_uploaded_segment: this.lastUploaded,
      last_upload_at: this.lastUploadAt,
      last_error:
        this.lastError === null
          ? null
          : {
              message: this.lastError.message,
              at: this.lastError.at,
              failures: this.lastError.failures,
            },
    };
  }
}

/** The document of a timeline this safekeeper does not offload. */
export function notConfiguredDocument(): WalBackupDocument {
  return {
    configured: false,
    phase: 'idle',
    eligible: false,
    ineligible_reason: 'WAL backup is not configured (--remote-storage, --enable-wal-backup)',
    campaigning: false,
    leader: false,
    uploading_segment: null,
    last_uploaded_segment: null,
    last_upload_at: null,
    last_error: null,
  };
}
