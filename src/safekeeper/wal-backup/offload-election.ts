// The offload election of one timeline on etcd3 primitives, laid out as etcd's Go concurrency
// package does it: a lease with an explicit TTL, a candidate key `<election>/<lease id hex>`
// created by a txn if absent, value `id_<node id>`; the leader is the candidate with the lowest
// create revision; a candidate watches (never polls) for the deletion of the candidate just
// before it. Resigning revokes the lease, which deletes the key. Leadership ends at once, and
// its signal aborts, when the lease is lost or its TTL passed since the last answered keep-alive.
import type { Etcd3, Lease, Watcher } from 'etcd3';
import { abortReason } from '../../common/deadline.js';
import { AppError, describeError } from '../../common/errors.js';

/** Deadline of the revoke when resigning (a dead etcd must not hold up a stop). */
const RESIGN_TIMEOUT_MS = 1000;

export interface CampaignOptions {
  /** `<prefix>/<tenant>/<timeline>/safekeeper/wal_backup`. */
  readonly name: string;
  /** `id_<node id>`. */
  readonly value: string;
  readonly ttlSeconds: number;
}

/** Why a leadership (or a campaign) ended without a resign. */
export class LeadershipLostError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, cause === undefined ? {} : { cause });
  }
}

/** The current leader's candidate value (`id_<n>`), or undefined when nobody campaigns. */
export async function readLeader(etcd: Etcd3, name: string): Promise<string | undefined> {
  const response = await etcd.getAll().prefix(`${name}/`).sort('Create', 'Ascend').limit(1).exec();
  return response.kvs[0]?.value.toString();
}

/** A lease kept alive with our own view of when etcd may have expired it. */
class TrackedLease {
  private readonly ended = new AbortController();
  private validUntilMs: number;
  private readonly firedAtMs: number[] = [];
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly lease: Lease,
    readonly ttlMs: number,
    grantedAtMs: number,
  ) {
    this.validUntilMs = grantedAtMs + ttlMs;
    lease.on('keepaliveFired', () => this.firedAtMs.push(Date.now()));
    lease.on('keepaliveSucceeded', () => {
      // Answers come in order; etcd refreshed the lease after we sent the request.
      const sentAtMs = this.firedAtMs.shift();
      if (sentAtMs !== undefined) this.validUntilMs = Math.max(this.validUntilMs, sentAtMs + ttlMs);
      this.armExpiry();
    });
    lease.on('lost', (error) =>
      this.end(new LeadershipLostError(`lease lost: ${describeError(error)}`, error)),
    );
    this.armExpiry();
  }

  get signal(): AbortSignal {
    return this.ended.signal;
  }

  remainingMs(): number {
    return this.validUntilMs - Date.now();
  }

  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    if (this.ended.signal.aborted) return;
    this.expiryTimer = setTimeout(
      () => {
        if (this.remainingMs() <= 0)
          this.end(new LeadershipLostError(`lease not renewed for ${this.ttlMs} ms`));
        else this.armExpiry();
      },
      Math.max(1, this.remainingMs()),
    );
  }

  end(reason: Error): void {
    clearTimeout(this.expiryTimer);
    if (!this.ended.signal.aborted) this.ended.abort(reason);
  }

  /** Revokes the lease (deleting its keys) within RESIGN_TIMEOUT_MS; errors are the caller's. */
  async revoke(): Promise<void> {
    this.end(new LeadershipLostError('resigned'));
    await this.lease.revoke({ deadline: Date.now() + RESIGN_TIMEOUT_MS });
  }
}

/** This safekeeper leads the election until `signal` aborts (its reason says why). */
export class Leadership {
  /** The next confirm reads the election: at first, and after the key's watch was cut. */
  private readNeeded = true;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly etcd: Etcd3,
    private readonly tracked: TrackedLease,
    readonly name: string,
    readonly key: string,
    watcher: Watcher,
  ) {
    watcher.on('delete', () =>
      tracked.end(new LeadershipLostError(`candidate key ${key} was deleted`)),
    );
    watcher.on('disconnected', () => (this.readNeeded = true));
    tracked.signal.addEventListener('abort', () => void watcher.cancel().catch(() => undefined), {
      once: true,
    });
  }

  get signal(): AbortSignal {
    return this.tracked.signal;
  }

  /**
   * Throws LeadershipLostError (and ends the leadership) unless the lease is still valid here
   * and our key is still the election's lowest: the check before each upload. The key is
   * watched, so the election is read only at first and after the watch was cut.
   */
  async confirm(): Promise<void> {
    this.throwIfEnded();
    if (this.tracked.remainingMs() <= 0) this.end('the lease may have expired');
    // Concurrent confirms share one read.
    if (this.readNeeded)
      this.reading ??= this.readElection().finally(() => (this.reading = undefined));
    if (this.reading !== undefined) await this.reading;
    this.throwIfEnded();
  }

  private async readElection(): Promise<void> {
    this.readNeeded = false;
    let leaderKey: string | undefined;
    try {
      const response = await this.etcd
        .getAll()
        .prefix(`${this.name}/`)
        .sort('Create', 'Ascend')
        .limit(1)
        .exec();
      leaderKey = response.kvs[0]?.key.toString();
    } catch (error) {
      this.readNeeded = true;
      this.end(`etcd read failed: ${describeError(error)}`, error);
    }
    if (leaderKey !== this.key)
      this.end(`another candidate leads (${leaderKey ?? 'no candidate'})`);
  }

  private throwIfEnded(): void {
    if (this.signal.aborted) throw abortReason(this.signal);
  }

  private end(message: string, cause?: unknown): never {
    const error = new LeadershipLostError(message, cause);
    this.tracked.end(error);
    throw error;
  }

  /** Gives leadership up: the lease is revoked, so the next candidate is elected at once. */
  async resign(): Promise<void> {
    await this.tracked.revoke();
  }

  /** Ends leadership locally; the lease is revoked best-effort, or else it expires. */
  abandon(): void {
    this.tracked.revoke().catch(() => undefined);
  }
}

/**
 * Campaigns until elected (then returns the leadership) or until `signal` aborts, the lease is
 * lost or an etcd call fails (then rejects, having given the lease up).
 */
export async function campaign(
  etcd: Etcd3,
  options: CampaignOptions,
  signal: AbortSignal,
  onWaiting?: () => void,
): Promise<Leadership> {
  const requestedAtMs = Date.now();
  const lease = etcd.lease(options.ttlSeconds, { autoKeepAlive: true });
  let tracked: TrackedLease | undefined;
  try {
    const leaseId = await lease.grant();
    tracked = new TrackedLease(lease, options.ttlSeconds * 1000, requestedAtMs);
    const key = `${options.name}/${BigInt(leaseId).toString(16)}`;
    const createRevision = await createCandidate(etcd, lease, key, options.value);
    const stop = AbortSignal.any([signal, tracked.signal]);
    await waitForPredecessors(etcd, options.name, createRevision, stop, onWaiting);
    // Lower candidates cannot appear (create revisions only grow): the key's deletion (by lease
    // expiry, or by hand) is the one way to lose the lead, and the watch reports it.
    const watcher = await etcd.watch().key(key).create();
    return new Leadership(etcd, tracked, options.name, key, watcher);
  } catch (error) {
    if (tracked === undefined) lease.release();
    else tracked.revoke().catch(() => undefined);
    if (tracked?.signal.aborted === true) throw abortReason(tracked.signal);
    throw error;
  }
}

/** Puts the candidate key unless it exists (then takes its value); returns its create revision. */
async function createCandidate(
  etcd: Etcd3,
  lease: Lease,
  key: string,
  value: string,
): Promise<bigint> {
  const response = await etcd
    .if(key, 'Create', '==', 0)
    .then(lease.put(key).value(value))
    .else(etcd.get(key))
    .commit();
  if (response.succeeded) return BigInt(response.header.revision);
  const existing = response.responses[0]?.response_range.kvs[0];
  if (existing === undefined) throw new LeadershipLostError(`candidate key ${key} vanished`);
  if (existing.value.toString() !== value) await lease.put(key).value(value).exec();
  return BigInt(existing.create_revision);
}

/** Resolves once no candidate created before ours is left (each deletion is watched). */
async function waitForPredecessors(
  etcd: Etcd3,
  name: string,
  createRevision: bigint,
  signal: AbortSignal,
  onWaiting?: () => void,
): Promise<void> {
  for (;;) {
    if (signal.aborted) throw abortReason(signal);
    const response = await etcd
      .getAll()
      .prefix(`${name}/`)
      .maxCreateRevision(String(createRevision - 1n))
      .sort('Create', 'Descend')
      .limit(1)
      .exec();
    const predecessor = response.kvs[0];
    if (predecessor === undefined) return;
    onWaiting?.();
    await waitForDeletion(
      etcd,
      predecessor.key.toString(),
      BigInt(response.header.revision) + 1n,
      signal,
    );
  }
}

async function waitForDeletion(
  etcd: Etcd3,
  key: string,
  fromRevision: bigint,
  signal: AbortSignal,
): Promise<void> {
  const watcher = await etcd.watch().key(key).startRevision(String(fromRevision)).create();
  let cleanup = (): void => undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(abortReason(signal));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      watcher.on('delete', () => resolve());
      watcher.on('error', (error) => reject(error));
      cleanup = () => signal.removeEventListener('abort', onAbort);
    });
  } finally {
    cleanup();
    await watcher.cancel().catch(() => undefined);
  }
}
