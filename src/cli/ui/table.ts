// Plain-text tables with padded columns (colour codes are ignored when measuring width). Given a
// width, the last column is cut so that no line is wider (a fault's long detail never wraps).

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

export function visibleLength(text: string): number {
  return text.replace(ANSI_ESCAPE, '').length;
}

/** Cuts `text` to `maxLength` visible characters, ending in an ellipsis; colour codes are kept. */
export function truncateVisible(text: string, maxLength: number): string {
  if (visibleLength(text) <= maxLength) return text;
  let out = '';
  let visible = 0;
  let coloured = false;
  for (let index = 0; index < text.length;) {
    ANSI_AT.lastIndex = index;
    const code = ANSI_AT.exec(text);
    if (code !== null) {
      out += code[0];
      coloured = true;
      index += code[0].length;
      continue;
    }
    if (visible === maxLength - 1) break;
    out += text.charAt(index);
    visible++;
    index++;
  }
  return `${out}…${coloured ? ANSI_RESET : ''}`;
}

// eslint-disable-next-line no-control-regex
const ANSI_AT = /\u001b\[[0-9;]*m/y;
const ANSI_RESET = '\u001b[0m';
/** The last column keeps at least this much (an ellipsis and a character), whatever the width. */
const LAST_COLUMN_MIN = 2;

export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  widthColumns = Number.POSITIVE_INFINITY,
): string {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const lastStart = widths.slice(0, -1).reduce((sum, width) => sum + width + 2, 0);
  const lastMax = Math.max(LAST_COLUMN_MIN, widthColumns - lastStart);
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === cells.length - 1
          ? truncateVisible(cell, lastMax)
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

/** The terminal's width for tables on stdout; unlimited when stdout is a pipe or a file. */
export function terminalColumns(stream: NodeJS.WriteStream = process.stdout): number {
  return stream.isTTY && stream.columns > 0 ? stream.columns : Number.POSITIVE_INFINITY;
}
