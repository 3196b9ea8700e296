// Human rendering of component statuses (status, start, sk list).
import type { ComponentStatus } from '../../cluster/lifecycle.js';
import { formatDurationMs } from '../../common/units.js';
import { renderTable, terminalColumns } from './table.js';
import type { Theme } from './theme.js';

export function stateLabel(status: ComponentStatus, theme: Theme): string {
  if (status.state === 'ready') return theme.ok('ready');
  if (status.state === 'down') return theme.error('down');
  return theme.warn(status.paused ? 'not responding (paused)' : 'not responding');
}

/** The component table; `widthColumns` (the terminal's) cuts the DETAIL column to fit. */
export function renderStatusTable(
  statuses: readonly ComponentStatus[],
  theme: Theme,
  widthColumns = terminalColumns(),
): string {
  return renderTable(
    ['NAME', 'STATE', 'PID', 'PORTS', 'UPTIME', 'DETAIL'],
    statuses.map((status) => [
      status.name,
      stateLabel(status, theme),
      status.managed ? (status.pid === null ? '-' : String(status.pid)) : 'external',
      Object.entries(status.ports)
        .map(([role, port]) => `${role}=${port}`)
        .join(' ') || status.endpoint,
      status.uptimeMs === null ? '-' : formatDurationMs(status.uptimeMs),
      theme.dim(status.detail),
    ]),
    widthColumns,
  );
}
