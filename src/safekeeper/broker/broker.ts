// The etcd broker of one safekeeper (neon-reference §4, with ARCHITECTURE §5's decisions), a
// supervised task:
// - publish: per timeline, what this safekeeper knows (safekeeper-timeline-info.ts) as JSON at
//   its timeline_info key, under one lease for the whole safekeeper. A timeline is published
//   when it is loaded or created and then only when something in its info changed (its change
//   events, coalesced for PUBLISH_COALESCE_MS); while nothing changes only the lease is kept
//   alive, so an idle safekeeper writes nothing per timeline.
// - watch: the existing keys are read first, then the prefix is watched from that revision, so
//   a safekeeper that starts late learns its peers at once. Each peer's info is applied to the
//   timeline by neon's rules (Timeline.recordSafekeeperInfo); our own key is skipped (we hold
//   those values already).
// - survival: a lost lease (etcd away longer than its TTL) is granted again and every timeline
//   republished; a failed call backs off and is retried; the watch resumes from the last
//   revision it saw; a compacted revision means reading everything again. The state changes
//   (connected, lost, back) are logged once each, never per retry.
import type { Etcd3, Lease, Watcher } from 'etcd3';
import { sleepMs } from '../../common/deadline.js';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { BrokerStatusDocument } from '../../protocol/timeline-status.js';
import {
  encodeTimelineInfo,
  parseTimelineInfo,
  type SafekeeperTimelineInfo,
} from '../../protocol/safekeeper-timeline-info.js';
import type { Timeline } from '../timeline/timeline.js';
import type { RegistryEvent, TimelineRegistry } from '../timeline/timeline-registry.js';
import { brokerWatchPrefix, parseTimelineInfoKey, timelineInfoKey } from './broker-keys.js';
import type { BrokerMetrics } from './broker-metrics.js';

/** Changes within this window go out as one publish per timeline. */
export const PUBLISH_COALESCE_MS = 100;
/** Lease of the published keys: they vanish this long after the safekeeper dies. */
export const BROKER_LEASE_TTL_S = 5;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;
/** Puts in flight at once (a start with many timelines publishes them all). */
const PUBLISH_CONCURRENCY = 32;

export interface BrokerOptions {
  readonly nodeId: number;
  readonly prefix: string;
  /** host:port of our WAL service, published as safekeeper_connection_string. */
  readonly walServiceAddress: string;
  readonly timelines: TimelineRegistry;
  readonly etcd: () => Promise<Etcd3>;
  readonly log: Logger;
  readonly metrics: BrokerMetrics;
}

/** What GET /v1/status shows of the broker. */
export type BrokerStatus = BrokerStatusDocument;

/** What this safekeeper publishes for `timeline` now. */
export function timelineInfoOf(
  timeline: Timeline,
  walServiceAddress: string,
): SafekeeperTimelineInfo {
  const inmem = timeline.inmemLsns;
  return {
    lastLogTerm: timeline.epoch,
    flushLsn: timeline.flushLsn,
    commitLsn: inmem.commitLsn,
    backupLsn: inmem.backupLsn,
    remoteConsistentLsn: inmem.remoteConsistentLsn,
    peerHorizonLsn: inmem.peerHorizonLsn,
    safekeeperConnectionString: walServiceAddress,
    localStartLsn: timeline.state.localStartLsn,
  };
}

function keyOf(timeline: Timeline): string {
  return `${timeline.state.tenantId}/${timeline.state.timelineId}`;
}

/** A function, not a property read: the signal may abort during any await. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

export class Broker {
  private lease: Lease | undefined;
  private leaseId: string | null = null;
  /** Timelines waiting to be published (by registry key). */
  private readonly dirty = new Map<string, Timeline>();
  /** The JSON last put per timeline key under the current lease. */
  private readonly published = new Map<string, string>();
  private readonly peerKeys = new Set<string>();
  private wake: (() => void) | undefined;
  private connected = false;
  /** No timeline yet: etcd (and etcd3, ~125 ms of CPU to load) is left alone until one exists. */
  private idle = true;
  private lastError: string | null = null;
  private watchRevision: bigint | undefined;

  constructor(private readonly options: BrokerOptions) {}

  status(): BrokerStatus {
    return {
      connected: this.connected,
      idle: this.idle,
      lease_id: this.lease === undefined ? null : this.leaseId,
      last_error: this.lastError,
      published_timelines: this.published.size,
      peer_keys: this.peerKeys.size,
    };
  }

  /** The task body: runs until `signal` aborts, then revokes the lease (keys go at once). */
  async run(signal: AbortSignal): Promise<void> {
    const unwatch = this.options.timelines.watch((event) => this.onRegistryEvent(event));
    for (const timeline of this.options.timelines.loadedTimelines()) this.markDirty(timeline);
    const onAbort = (): void => this.wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    let watcher: Watcher | undefined;
    try {
      // Without timelines there is nothing to publish and no use for the peers' keys: etcd is
      // left alone until one is loaded or created (it marks itself dirty and wakes the loop).
      while (this.dirty.size === 0 && !signal.aborted) await this.sleepUntilWoken(60_000);
      if (signal.aborted) return;
      this.idle = false;
      const etcd = await this.options.etcd();
      await Promise.all([
        this.publishLoop(etcd, signal),
        this.watchLoop(etcd, signal, (w) => (watcher = w)),
      ]);
    } finally {
      unwatch();
      signal.removeEventListener('abort', onAbort);
      await watcher?.cancel().catch(() => undefined);
      await this.lease?.revoke().catch(() => undefined);
    }
  }

  private onRegistryEvent(event: RegistryEvent): void {
    if (event.kind === 'removed') {
      const key = keyOf(event.timeline);
      this.dirty.delete(key);
      if (this.published.delete(key)) void this.deleteKey(event.timeline);
      return;
    }
    this.markDirty(event.timeline);
  }

  private markDirty(timeline: Timeline): void {
    this.dirty.set(keyOf(timeline), timeline);
    this.wake?.();
  }

  private async deleteKey(timeline: Timeline): Promise<void> {
    try {
      const etcd = await this.options.etcd();
      const { tenantId, timelineId } = timeline.state;
      await etcd
        .delete()
        .key(timelineInfoKey(this.options.prefix, tenantId, timelineId, this.options.nodeId))
        .exec();
    } catch (error) {
      // The lease removes it when this safekeeper stops; peers ignore unknown timelines.
      this.options.log.debug(
        { err: describeError(error) },
        'broker: deleting a timeline key failed',
      );
    }
  }

  private setConnected(connected: boolean, error?: unknown): void {
    if (error !== undefined) this.lastError = describeError(error);
    if (connected === this.connected) return;
    this.connected = connected;
    this.options.metrics.connected.set(connected ? 1 : 0);
    if (connected) this.options.log.info('broker: connected to etcd');
    else this.options.log.warn({ err: this.lastError }, 'broker: etcd unreachable, retrying');
  }

  private async sleepUntilWoken(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }

  private async currentLease(etcd: Etcd3): Promise<Lease> {
    if (this.lease !== undefined) return this.lease;
    const lease = etcd.lease(BROKER_LEASE_TTL_S, { autoKeepAlive: true });
    lease.on('lost', (error) => {
      if (this.lease !== lease) return;
      this.lease = undefined;
      this.setConnected(false, error);
      // The keys went with the lease: everything is published again under a new one.
      this.published.clear();
      for (const timeline of this.options.timelines.loadedTimelines()) this.markDirty(timeline);
    });
    lease.on('keepaliveSucceeded', () => {
      if (this.lease === lease) this.setConnected(true);
    });
    this.leaseId = await lease.grant();
    this.lease = lease;
    return lease;
  }

  private async publishLoop(etcd: Etcd3, signal: AbortSignal): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    while (!signal.aborted) {
      if (this.dirty.size === 0) {
        await this.sleepUntilWoken(60_000);
        continue;
      }
      // Let a burst of changes settle into one publish.
      await sleepMs(PUBLISH_COALESCE_MS, signal);
      if (isAborted(signal)) return;
      try {
        await this.publishDirty(etcd);
        this.setConnected(true);
        retryMs = RETRY_MIN_MS;
      } catch (error) {
        this.setConnected(false, error);
        await sleepMs(retryMs, signal);
        retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
      }
    }
  }

  private async publishDirty(etcd: Etcd3): Promise<void> {
    const lease = await this.currentLease(etcd);
    const batch = [...this.dirty.entries()];
    this.dirty.clear();
    try {
      for (let i = 0; i < batch.length; i += PUBLISH_CONCURRENCY) {
        await Promise.all(
          batch
            .slice(i, i + PUBLISH_CONCURRENCY)
            .map(([key, timeline]) => this.publishOne(lease, key, timeline)),
        );
      }
    } catch (error) {
      // What did not go out stays dirty (a newer change may have re-marked it already).
      for (const [key, timeline] of batch)
        if (!this.dirty.has(key) && !timeline.isClosed) this.dirty.set(key, timeline);
      throw error;
    }
  }

  private async publishOne(lease: Lease, key: string, timeline: Timeline): Promise<void> {
    if (timeline.isClosed || timeline.state.server.walSegSize === 0) return;
    const value = JSON.stringify(
      encodeTimelineInfo(timelineInfoOf(timeline, this.options.walServiceAddress)),
    );
    if (this.published.get(key) === value) return;
    const { tenantId, timelineId } = timeline.state;
    await lease
      .put(timelineInfoKey(this.options.prefix, tenantId, timelineId, this.options.nodeId))
      .value(value);
    this.published.set(key, value);
    this.options.metrics.publishes.inc();
  }

  private async watchLoop(
    etcd: Etcd3,
    signal: AbortSignal,
    setWatcher: (watcher: Watcher | undefined) => void,
  ): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    const prefix = brokerWatchPrefix(this.options.prefix);
    while (!signal.aborted) {
      try {
        if (this.watchRevision === undefined) {
          const existing = await etcd.getAll().prefix(prefix).exec();
          for (const kv of existing.kvs) await this.onPut(kv.key.toString(), kv.value.toString());
          this.watchRevision = BigInt(existing.header.revision);
          this.setConnected(true);
        }
        const watcher = await etcd
          .watch()
          .prefix(prefix)
          .startRevision(String(this.watchRevision + 1n))
          .create();
        setWatcher(watcher);
        retryMs = RETRY_MIN_MS;
        await this.follow(watcher, signal);
        setWatcher(undefined);
      } catch (error) {
        this.setConnected(false, error);
        await sleepMs(retryMs, signal);
        retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
      }
    }
  }

  /** Applies the watch's events in order until it fails or `signal` aborts. */
  private follow(watcher: Watcher, signal: AbortSignal): Promise<void> {
    let queue = Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: unknown): void => {
        signal.removeEventListener('abort', onAbort);
        void watcher.cancel().catch(() => undefined);
        if (error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error(describeError(error)));
      };
      const onAbort = (): void => finish();
      signal.addEventListener('abort', onAbort, { once: true });
      watcher.on('put', (kv) => {
        const revision = BigInt(kv.mod_revision);
        queue = queue
          .then(() => this.onPut(kv.key.toString(), kv.value.toString()))
          .then(() => {
            if (this.watchRevision === undefined || revision > this.watchRevision)
              this.watchRevision = revision;
          });
      });
      watcher.on('delete', (kv) => {
        this.peerKeys.delete(kv.key.toString());
        const revision = BigInt(kv.mod_revision);
        if (this.watchRevision === undefined || revision > this.watchRevision)
          this.watchRevision = revision;
      });
      watcher.on('connected', () => this.setConnected(true));
      watcher.on('disconnected', (error) => this.setConnected(false, error));
      watcher.on('error', (error) => {
        // A compacted start revision: read everything again from a fresh revision.
        if (/compact/i.test(describeError(error))) this.watchRevision = undefined;
        finish(error);
      });
      watcher.on('end', () => finish(new Error('etcd watch ended')));
    });
  }

  private async onPut(key: string, value: string): Promise<void> {
    const parsedKey = parseTimelineInfoKey(this.options.prefix, key);
    if (parsedKey === undefined || parsedKey.nodeId === this.options.nodeId) return;
    this.peerKeys.add(key);
    let document: unknown;
    try {
      document = JSON.parse(value);
    } catch {
      this.options.log.warn({ key }, 'broker: ignoring a timeline_info value that is not JSON');
      return;
    }
    const parsed = parseTimelineInfo(document);
    if (!parsed.ok) {
      this.options.log.warn({ key, reason: parsed.reason }, 'broker: ignoring a bad timeline_info');
      return;
    }
    const entry = this.options.timelines.get(parsedKey.tenantId, parsedKey.timelineId);
    if (entry?.kind !== 'loaded') return;
    this.options.metrics.peerUpdates.inc();
    try {
      await entry.timeline.recordSafekeeperInfo(parsed.info);
    } catch (error) {
      // A closed (deleted) timeline; nothing to apply.
      this.options.log.debug({ key, err: describeError(error) }, 'broker: peer info not applied');
    }
  }
}
