// The pageserver's Prometheus registry: process metrics under the pageserver_ prefix, the HTTP
// request counter, per-timeline LSN gauges read at scrape time (received, durable, uploaded),
// and counters of WAL bytes received, source switches and checkpoints (with uploaded bytes and
// a duration histogram).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TenantId, TimelineId } from '../../common/hex-id.js';
import {
  createHttpRequestsCounter,
  registerProcessMetricsAtFirstScrape,
  type HttpRequestsCounter,
} from '../../daemon-shell/http-metrics.js';
import type { PageserverTimeline } from '../timeline/pageserver-timeline.js';
import type { TimelineObserver } from '../timeline/timeline-observer.js';

const TIMELINE_LABELS = ['tenant_id', 'timeline_id'] as const;
const CHECKPOINT_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface PageserverMetrics {
  readonly registry: Registry;
  readonly httpRequests: HttpRequestsCounter;
  observerFor(tenantId: TenantId, timelineId: TimelineId): TimelineObserver;
  /** The LSN gauges read these timelines at every scrape. */
  watchTimelines(list: () => readonly PageserverTimeline[]): void;
}

export function createMetrics(): PageserverMetrics {
  const registry = new Registry();
  registerProcessMetricsAtFirstScrape(registry, 'pageserver_');
  let timelines: () => readonly PageserverTimeline[] = () => [];
  const lsnGauge = (name: string, help: string, read: (t: PageserverTimeline) => bigint): void => {
    new Gauge({
      name,
      help,
      labelNames: TIMELINE_LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const timeline of timelines())
          this.set(
            { tenant_id: timeline.tenantId, timeline_id: timeline.timelineId },
            Number(read(timeline)),
          );
      },
    });
  };
  lsnGauge(
    'pageserver_received_lsn',
    'End of the last complete WAL record received',
    (t) => t.positions().receivedLsn,
  );
  lsnGauge(
    'pageserver_durable_lsn',
    'End of the last complete WAL record synced locally',
    (t) => t.positions().durableLsn,
  );
  lsnGauge(
    'pageserver_uploaded_lsn',
    'End of the WAL confirmed in the bucket (ps_applylsn)',
    (t) => t.uploadedLsn,
  );
  const receivedBytes = new Counter({
    name: 'pageserver_received_wal_bytes_total',
    help: 'WAL bytes received from safekeepers',
    labelNames: TIMELINE_LABELS,
    registers: [registry],
  });
  const switches = new Counter({
    name: 'pageserver_source_switches_total',
    help: 'Times a timeline started streaming from another safekeeper',
    labelNames: TIMELINE_LABELS,
    registers: [registry],
  });
  const checkpoints = new Counter({
    name: 'pageserver_checkpoints_total',
    help: 'Checkpoints by outcome',
    labelNames: [...TIMELINE_LABELS, 'outcome'] as const,
    registers: [registry],
  });
  const uploadedBytes = new Counter({
    name: 'pageserver_uploaded_bytes_total',
    help: 'Bytes uploaded to the bucket by checkpoints',
    labelNames: TIMELINE_LABELS,
    registers: [registry],
  });
  const checkpointSeconds = new Histogram({
    name: 'pageserver_checkpoint_seconds',
    help: 'Duration of one checkpoint (uploads, checks and the state file persist)',
    labelNames: TIMELINE_LABELS,
    buckets: CHECKPOINT_SECONDS_BUCKETS,
    registers: [registry],
  });
  const httpRequests = createHttpRequestsCounter('pageserver', registry);
  return {
    registry,
    httpRequests,
    observerFor(tenantId, timelineId) {
      const labels = { tenant_id: tenantId, timeline_id: timelineId };
      return {
        observeReceivedBytes: (bytes) => receivedBytes.inc(labels, bytes),
        observeSourceSwitch: () => switches.inc(labels),
        observeCheckpoint: (outcome, bytes, seconds) => {
          checkpoints.inc({ ...labels, outcome });
          if (bytes > 0) uploadedBytes.inc(labels, bytes);
          checkpointSeconds.observe(labels, seconds);
        },
      };
    },
    watchTimelines(list) {
      timelines = list;
    },
  };
}
