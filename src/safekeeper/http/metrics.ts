// The safekeeper's Prometheus registry: process metrics under the safekeeper_ prefix, the HTTP
// request counter, and per-timeline metrics labelled tenant_id/timeline_id: flush and commit LSN
// gauges (read from the timelines at scrape time), WAL bytes written, and write, flush and
// control-file persist durations. The per-commit ones are plain numbers per timeline, turned into
// prom-client metrics only at a scrape (timeline-histogram.ts says why).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TenantId, TimelineId } from '../../common/hex-id.js';
import {
  createHttpRequestsCounter,
  registerProcessMetricsAtFirstScrape,
  type HttpRequestsCounter,
} from '../../daemon-shell/http-metrics.js';
import type { Timeline, TimelineObserver } from '../timeline/timeline.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';
import type { WalBackupObserver } from '../wal-backup/offload-state.js';
import { TimelineHistogram, type HistogramSeries } from './timeline-histogram.js';

type TimelineLabel = 'tenant_id' | 'timeline_id';
type TimelineLabels = Readonly<Record<TimelineLabel, string>>;

function timelineKey(tenantId: TenantId, timelineId: TimelineId): string {
  return `${tenantId}/${timelineId}`;
}
const TIMELINE_LABELS = ['tenant_id', 'timeline_id'] as const;
const DISK_SECONDS_BUCKETS = [
  0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5,
];

export interface SafekeeperMetrics {
  readonly registry: Registry;
  readonly httpRequests: HttpRequestsCounter;
  /** The WAL offload's counters (node-wide, no per-timeline labels). */
  readonly walBackup: WalBackupObserver;
  observerFor(tenantId: TenantId, timelineId: TimelineId): TimelineObserver;
  forgetTimeline(tenantId: TenantId, timelineId: TimelineId): void;
  /** The LSN gauges read these timelines at every scrape. */
  watchTimelines(timelines: TimelineRegistry): void;
}

/** A gauge per timeline whose value is read from the timelines at scrape time. */
function lsnGauge(
  registry: Registry,
  name: string,
  help: string,
  read: (timeline: Timeline) => bigint,
  source: () => TimelineRegistry | undefined,
): Gauge<TimelineLabel> {
  return new Gauge({
    name,
    help,
    labelNames: TIMELINE_LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const timeline of source()?.loadedTimelines() ?? []) {
        const { tenantId, timelineId } = timeline.state;
        this.set({ tenant_id: tenantId, timeline_id: timelineId }, Number(read(timeline)));
      }
    },
  });
}

export function createMetrics(nodeId: number): SafekeeperMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node_id: String(nodeId) });
  registerProcessMetricsAtFirstScrape(registry, 'safekeeper_');
  let timelines: TimelineRegistry | undefined;
  const source = (): TimelineRegistry | undefined => timelines;
  lsnGauge(
    registry,
    'safekeeper_flush_lsn',
    'End of the last complete WAL record flushed to disk',
    (timeline) => timeline.flushLsn,
    source,
  );
  lsnGauge(
    registry,
    'safekeeper_commit_lsn',
    'End of WAL acknowledged by a quorum and present here',
    (timeline) => timeline.inmemLsns.commitLsn,
    source,
  );
  // Totals per timeline, kept here and handed to the counter at each scrape (observed per commit).
  const writtenBytesByTimeline = new Map<string, { labels: TimelineLabels; bytes: number }>();
  new Counter({
    name: 'safekeeper_write_wal_bytes_total',
    help: 'WAL bytes written to segment files',
    labelNames: TIMELINE_LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, bytes } of writtenBytesByTimeline.values()) this.inc(labels, bytes);
    },
  });
  const histogram = (name: string, help: string): TimelineHistogram<TimelineLabels> =>
    new TimelineHistogram(name, help, DISK_SECONDS_BUCKETS, registry);
  const writeSeconds = histogram(
    'safekeeper_write_wal_seconds',
    'Time to stage one WAL message for its segment (a copy, plus a write-out when the staging buffer is full)',
  );
  const flushSeconds = histogram(
    'safekeeper_flush_wal_seconds',
    'Time to make staged WAL durable (one synchronous direct write)',
  );
  const persistSeconds = histogram(
    'safekeeper_persist_control_file_seconds',
    'Time to persist a control file atomically',
  );
  const removedSegments = new Counter({
    name: 'safekeeper_removed_wal_segments_total',
    help: 'WAL segment files removed below the removal horizon',
    registers: [registry],
  });
  const removedBytes = new Counter({
    name: 'safekeeper_removed_wal_bytes_total',
    help: 'Bytes of the WAL segment files removed below the removal horizon',
    registers: [registry],
  });
  const httpRequests = createHttpRequestsCounter('safekeeper', registry);
  return {
    registry,
    httpRequests,
    walBackup: createWalBackupMetrics(registry),
    observerFor(tenantId, timelineId) {
      const labels = { tenant_id: tenantId, timeline_id: timelineId };
      const key = timelineKey(tenantId, timelineId);
      // Series appear at a timeline's first observation, as prom-client's would.
      let write: HistogramSeries | undefined;
      let flush: HistogramSeries | undefined;
      let persist: HistogramSeries | undefined;
      let written: { labels: TimelineLabels; bytes: number } | undefined;
      return {
        observeWriteSeconds: (seconds, bytes) => {
          (write ??= writeSeconds.seriesFor(labels)).observe(seconds);
          if (written === undefined) {
            written = writtenBytesByTimeline.get(key) ?? { labels, bytes: 0 };
            writtenBytesByTimeline.set(key, written);
          }
          written.bytes += bytes;
        },
        observeFlushSeconds: (seconds) =>
          (flush ??= flushSeconds.seriesFor(labels)).observe(seconds),
        observePersistSeconds: (seconds) =>
          (persist ??= persistSeconds.seriesFor(labels)).observe(seconds),
        observeWalRemoved: (segments, bytes) => {
          removedSegments.inc(segments);
          removedBytes.inc(bytes);
        },
      };
    },
    forgetTimeline(tenantId, timelineId) {
      const labels = { tenant_id: tenantId, timeline_id: timelineId };
      writtenBytesByTimeline.delete(timelineKey(tenantId, timelineId));
      for (const metric of [writeSeconds, flushSeconds, persistSeconds]) metric.remove(labels);
    },
    watchTimelines(registryOfTimelines) {
      timelines = registryOfTimelines;
    },
  };
}

const UPLOAD_SECONDS_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60];

/** safekeeper_wal_backup_*: uploads (count, bytes, seconds), failures, elections, leadership. */
function createWalBackupMetrics(registry: Registry): WalBackupObserver {
  const counter = (name: string, help: string, labelNames: string[] = []): Counter =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const uploads = counter(
    'safekeeper_wal_backup_uploads_total',
    'WAL segments put into the bucket',
  );
  const bytes = counter(
    'safekeeper_wal_backup_uploaded_bytes_total',
    'Bytes of WAL segments put into the bucket',
  );
  const failures = counter(
    'safekeeper_wal_backup_upload_failures_total',
    'Failed attempts to upload a range of WAL segments (each is retried after a backoff)',
  );
  const found = counter(
    'safekeeper_wal_backup_segments_found_total',
    'Segments found in the bucket with the right size, so not uploaded again',
  );
  const elections = counter(
    'safekeeper_wal_backup_elections_total',
    'Offload elections: won, or lost (leadership ended by a lost lease or an etcd error, not by resigning)',
    ['result'],
  );
  const seconds = new Histogram({
    name: 'safekeeper_wal_backup_upload_seconds',
    help: 'Time to put one WAL segment into the bucket and check its size there',
    buckets: UPLOAD_SECONDS_BUCKETS,
    registers: [registry],
  });
  const leading = new Gauge({
    name: 'safekeeper_wal_backup_leader',
    help: 'Timelines whose offload election this safekeeper leads now',
    registers: [registry],
  });
  return {
    segmentUploaded(sizeBytes, uploadSeconds) {
      uploads.inc();
      bytes.inc(sizeBytes);
      seconds.observe(uploadSeconds);
    },
    uploadFailed: () => failures.inc(),
    segmentFound: () => found.inc(),
    electionWon: () => elections.inc({ result: 'won' }),
    leadershipLost: () => elections.inc({ result: 'lost' }),
    leadingChanged: (delta) => leading.inc(delta),
  };
}
