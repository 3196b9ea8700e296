// Human views of timeline operations: the per-safekeeper outcome of `sk timeline create` and
// the table of `sk timeline list` (one row per safekeeper and timeline; broken timelines and
// unreachable safekeepers shown in place, in the error colour).
import {
  isBrokenTimeline,
  type TimelineListEntry,
  type TimelineStatus,
} from '../../protocol/timeline-status.js';
import type { PerSafekeeper } from '../../cluster/cluster-timelines.js';
import { renderTable } from './table.js';
import type { Theme } from './theme.js';

export function renderCreatedTimeline(
  created: {
    tenant_id: string;
    timeline_id: string;
    safekeepers: readonly PerSafekeeper<unknown>[];
  },
  theme: Theme,
): string {
  const lines = [`tenant   ${created.tenant_id}`, `timeline ${created.timeline_id}`];
  for (const entry of created.safekeepers) {
    lines.push(
      entry.error === undefined
        ? `  safekeeper ${entry.id}: ${theme.ok('created')}`
        : `  safekeeper ${entry.id}: ${theme.error(entry.error.message)}`,
    );
  }
  return lines.join('\n');
}

function segmentsText(doc: TimelineStatus): string {
  const segments = doc.local_segments;
  if (segments.count === 0) return '-';
  return `${segments.count} (${segments.first ?? '?'}..${segments.last ?? '?'})`;
}

export function renderTimelineList(
  results: readonly PerSafekeeper<TimelineListEntry[]>[],
  theme: Theme,
): string {
  const rows: string[][] = [];
  for (const entry of results) {
    if (entry.error !== undefined) {
      rows.push([String(entry.id), '-', '-', '-', '-', '-', '-', theme.error(entry.error.message)]);
      continue;
    }
    for (const doc of entry.result ?? []) {
      if (isBrokenTimeline(doc)) {
        const problem = theme.error(`${doc.error.code}: ${doc.error.message}`);
        rows.push([String(entry.id), doc.tenant_id, doc.timeline_id, '-', '-', '-', '-', problem]);
        continue;
      }
      rows.push([
        String(entry.id),
        doc.tenant_id,
        doc.timeline_id,
        String(doc.acceptor_state.term),
        doc.flush_lsn,
        doc.commit_lsn,
        segmentsText(doc),
        theme.ok('ok'),
      ]);
    }
  }
  if (rows.length === 0) return theme.dim('no timelines');
  const header = ['SK', 'TENANT', 'TIMELINE', 'TERM', 'FLUSH', 'COMMIT', 'SEGMENTS', 'STATE'];
  return renderTable(header, rows);
}
