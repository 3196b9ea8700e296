// The pageserver's part of `sk timeline list`: one row per timeline it knows (the safekeeper it
// streams from, the received and uploaded ends, its state), or one line when it did not answer.
// Ids are shortened as in the safekeepers' table above it.
import type { DaemonAnswer } from '../../cluster/safekeeper-fanout.js';
import type { PageserverTimelineDocument } from '../../protocol/pageserver-status.js';
import { renderTable, shortId, tableWidth } from './table.js';
import type { Theme } from './theme.js';

export interface PageserverViewOptions {
  readonly widthColumns: number;
  readonly wide: boolean;
  /** Only these timelines (those the safekeepers' table shows); all when undefined. */
  readonly tenantId?: string;
}

function stateCell(doc: PageserverTimelineDocument, theme: Theme): string {
  if (doc.state === 'streaming') return theme.ok(doc.state);
  if (doc.state === 'broken') return theme.error(`broken: ${doc.last_error ?? 'no detail'}`);
  return theme.warn(doc.last_error === null ? doc.state : `${doc.state}: ${doc.last_error}`);
}

export function renderPageserverTimelines(
  answer: DaemonAnswer<PageserverTimelineDocument[]>,
  theme: Theme,
  options: PageserverViewOptions,
): string {
  if (answer.state !== 'ok') {
    const label = answer.paused
      ? 'paused'
      : answer.state === 'down'
        ? 'not running'
        : (answer.error?.message ?? answer.state).replace(/^the pageserver: /, '');
    return `pageserver: ${theme.error(label)}`;
  }
  const docs = (answer.result ?? []).filter(
    (doc) => options.tenantId === undefined || doc.tenant_id === options.tenantId,
  );
  if (docs.length === 0) return `pageserver: ${theme.dim('no timelines')}`;
  const oneTenant = new Set(docs.map((doc) => doc.tenant_id)).size === 1;
  const render = (short: boolean, widthColumns: number): string => {
    const id = (text: string): string => (short ? shortId(text) : text);
    return renderTable(
      [...(oneTenant ? [] : ['TENANT']), 'TIMELINE', 'SOURCE', 'RECEIVED', 'UPLOADED', 'STATE'],
      docs.map((doc) => [
        ...(oneTenant ? [] : [id(doc.tenant_id)]),
        id(doc.timeline_id),
        doc.source === null ? '-' : `sk ${doc.source.safekeeper_id}`,
        doc.received_lsn,
        doc.uploaded_lsn,
        stateCell(doc, theme),
      ]),
      widthColumns,
    );
  };
  const fits =
    options.wide || tableWidth(render(false, Number.POSITIVE_INFINITY)) <= options.widthColumns;
  const table = render(!fits, options.widthColumns);
  return `pageserver ${theme.dim('(UPLOADED is what it reports as remote_consistent_lsn)')}\n${table}`;
}
