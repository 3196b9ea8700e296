// Human rendering of component statuses (status, start, sk list).
import type { ComponentStatus } from '../../cluster/lifecycle.js';
import { formatDurationMs } from '../../common/units.js';
import {
  renderTable,
  tableWidth,
  terminalColumns,
  truncateVisible,
  visibleLength,
} from './table.js';
import type { Theme } from './theme.js';

export function stateLabel(status: ComponentStatus, theme: Theme): string {
  if (status.state === 'ready') return theme.ok('ready');
  if (status.state === 'down') return theme.error('down');
  return theme.warn(status.paused ? 'paused' : 'not responding');
}

/** Narrower than this (and than the longest detail), DETAIL goes on a line of its own under each row. */
const DETAIL_MIN_COLUMNS = 24;

/**
 * The component table; `widthColumns` (the terminal's) cuts the DETAIL column to fit, or, when
 * that would leave it under DETAIL_MIN_COLUMNS, puts each detail on an indented line of its own.
 */
export function renderStatusTable(
  statuses: readonly ComponentStatus[],
  theme: Theme,
  widthColumns = terminalColumns(),
): string {
  const header = ['NAME', 'STATE', 'PID', 'PORTS', 'UPTIME'];
  const rows = statuses.map((status) => [
    status.name,
    stateLabel(status, theme),
    status.managed ? (status.pid === null ? '-' : String(status.pid)) : 'external',
    Object.entries(status.ports)
      .map(([role, port]) => `${role}=${port}`)
      .join(' ') || status.endpoint,
    status.uptimeMs === null ? '-' : formatDurationMs(status.uptimeMs),
  ]);
  const details = statuses.map((status) => theme.dim(status.detail));
  const withoutDetail = renderTable(header, rows);
  const available = widthColumns - tableWidth(withoutDetail) - 2;
  const longest = Math.max(0, ...details.map(visibleLength));
  if (available >= Math.min(longest, DETAIL_MIN_COLUMNS))
    return renderTable(
      [...header, 'DETAIL'],
      rows.map((row, index) => [...row, details[index] ?? '']),
      widthColumns,
    );
  const [headerLine, ...rowLines] = withoutDetail.split('\n');
  return [
    headerLine,
    ...rowLines.flatMap((line, index) => {
      const detail = details[index] ?? '';
      return visibleLength(detail) === 0
        ? [line]
        : [line, `  ${truncateVisible(detail, Math.max(2, widthColumns - 2))}`];
    }),
  ].join('\n');
}
