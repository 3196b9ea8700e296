// Human views of timeline operations: the per-safekeeper outcome of `sk timeline create` and
// the table of `sk timeline list` (one row per safekeeper and timeline). The table fits the
// terminal: full ids when they fit or with --wide, else shortened; the tenant is shown once
// above the table when every row has the same; a safekeeper that did not answer gets one short
// row and a note under the table, so a fault never widens the table.
import type { PageserverNotice } from '../../cluster/pageserver-ops.js';
import type { SafekeeperAnswer } from '../../cluster/safekeeper-fanout.js';
import { formatSizeBytes } from '../../common/units.js';
import {
  isBrokenTimeline,
  type TimelineListEntry,
  type TimelineStatus,
} from '../../protocol/timeline-status.js';
import { renderTable, shortId, tableWidth } from './table.js';
import type { Theme } from './theme.js';

export function renderCreatedTimeline(
  created: {
    tenant_id: string;
    timeline_id: string;
    safekeepers: readonly SafekeeperAnswer<unknown>[];
    pageserver: PageserverNotice;
  },
  theme: Theme,
): string {
  const lines = [`tenant   ${created.tenant_id}`, `timeline ${created.timeline_id}`];
  for (const entry of created.safekeepers) {
    lines.push(
      entry.error === undefined
        ? `  safekeeper ${entry.id}: ${theme.ok('created')}`
        : `  safekeeper ${entry.id}: ${theme.error(failureDetail(entry))}`,
    );
  }
  const pageserver = created.pageserver;
  if (pageserver !== null)
    lines.push(
      pageserver.state === 'ok'
        ? `  pageserver: ${theme.ok('streams it')}`
        : `  pageserver: ${theme.dim(`${pageserverLabel(pageserver)}; it finds the timeline on the safekeepers when it runs`)}`,
    );
  return lines.join('\n');
}

function pageserverLabel(notice: NonNullable<PageserverNotice>): string {
  if (notice.paused) return 'paused';
  if (notice.state === 'down') return 'not running';
  return (notice.error?.message ?? notice.state).replace(/^the pageserver: /, '');
}

/** What the safekeeper said went wrong, without the "safekeeper N: " its messages start with. */
function failureDetail(answer: SafekeeperAnswer<unknown>): string {
  return answer.error?.message.replace(/^safekeeper \d+: /, '') ?? answerLabel(answer);
}

/** One word or two for an answer: ok, down, paused, not responding, error. */
export function answerLabel(answer: SafekeeperAnswer<unknown>): string {
  if (answer.paused) return 'paused';
  return answer.state === 'not-responding' ? 'not responding' : answer.state;
}

function segmentsText(doc: TimelineStatus): string {
  const segments = doc.local_segments;
  if (segments.count === 0) return '-';
  return `${segments.count} (${formatSizeBytes(segments.bytes)})`;
}

export interface TimelineListOptions {
  /** The width the table must fit in (the terminal's). */
  readonly widthColumns: number;
  /** Full ids whatever the width. */
  readonly wide: boolean;
}

interface Row {
  readonly sk: string;
  readonly tenant: string;
  readonly timeline: string;
  readonly cells: readonly string[];
}

function rowsOf(answers: readonly SafekeeperAnswer<TimelineListEntry[]>[], theme: Theme) {
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const answer of answers) {
    const sk = String(answer.id);
    if (answer.state !== 'ok') {
      const label = answerLabel(answer);
      rows.push({
        sk,
        tenant: '',
        timeline: '-',
        cells: ['-', '-', '-', '-', theme.error(label)],
      });
      notes.push(`safekeeper ${sk}: ${failureDetail(answer)}`);
      continue;
    }
    for (const doc of answer.result ?? []) {
      const { tenant_id: tenant, timeline_id: timeline } = doc;
      if (isBrokenTimeline(doc)) {
        rows.push({
          sk,
          tenant,
          timeline,
          cells: ['-', '-', '-', '-', theme.error('broken')],
        });
        notes.push(
          `safekeeper ${sk}, timeline ${timeline}: ${doc.error.code}: ${doc.error.message}`,
        );
        continue;
      }
      const term = String(doc.acceptor_state.term);
      const cells = [term, doc.flush_lsn, doc.commit_lsn, segmentsText(doc), theme.ok('ok')];
      rows.push({ sk, tenant, timeline, cells });
    }
  }
  return { rows, notes };
}

function renderRows(rows: readonly Row[], oneTenant: boolean, short: boolean): string {
  const id = (text: string): string => (short && text !== '-' ? shortId(text) : text);
  const header = ['SK', ...(oneTenant ? [] : ['TENANT']), 'TIMELINE'];
  header.push('TERM', 'FLUSH', 'COMMIT', 'SEGMENTS', 'STATE');
  return renderTable(
    header,
    rows.map((row) => [
      row.sk,
      ...(oneTenant ? [] : [row.tenant === '' ? '-' : id(row.tenant)]),
      id(row.timeline),
      ...row.cells,
    ]),
  );
}

export function renderTimelineList(
  answers: readonly SafekeeperAnswer<TimelineListEntry[]>[],
  theme: Theme,
  options: TimelineListOptions,
): string {
  const { rows, notes } = rowsOf(answers, theme);
  const tenants = new Set(rows.map((row) => row.tenant).filter((tenant) => tenant !== ''));
  const lines: string[] = [];
  if (rows.every((row) => row.tenant === '')) lines.push(theme.dim('no timelines'));
  else {
    const [onlyTenant] = tenants;
    const oneTenant = tenants.size === 1 && onlyTenant !== undefined;
    if (oneTenant) lines.push(`tenant ${onlyTenant}`);
    const full = renderRows(rows, oneTenant, false);
    const fits = options.wide || tableWidth(full) <= options.widthColumns;
    lines.push(fits ? full : renderRows(rows, oneTenant, true));
  }
  for (const note of notes) lines.push(theme.dim(note));
  return lines.join('\n');
}
