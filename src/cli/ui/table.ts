// Plain-text tables with padded columns (colour codes are ignored when measuring width).

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

export function visibleLength(text: string): number {
  return text.replace(ANSI_ESCAPE, '').length;
}

export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === cells.length - 1
          ? cell
          : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The width of the widest line of a rendered table. */
export function tableWidth(rendered: string): number {
  return Math.max(0, ...rendered.split('\n').map(visibleLength));
}

/** An id shortened for a narrow table: its first 8 characters and an ellipsis. */
export function shortId(id: string): string {
  return id.length > 9 ? `${id.slice(0, 8)}…` : id;
}

/** The terminal's width for tables on stdout; 80 when stdout is not a terminal. */
export function terminalColumns(stream: NodeJS.WriteStream = process.stdout): number {
  return stream.isTTY && stream.columns > 0 ? stream.columns : DEFAULT_COLUMNS;
}

const DEFAULT_COLUMNS = 80;
