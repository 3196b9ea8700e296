// One live status line on a terminal (stderr): redrawn in place, cut to the terminal's width,
// and moved out of the way when a message line is printed. Without a terminal (a pipe, a file)
// or with --json there is no live line at all; messages are still printed as plain lines.

const CLEAR_LINE = '\r\u001b[2K';

export interface ProgressLine {
  /** Replaces the live line (ignored without a terminal). */
  update(text: string): void;
  /** Prints a message line above the live line. */
  message(text: string): void;
  /** Removes the live line for good. */
  done(): void;
}

export function createProgressLine(stream: NodeJS.WriteStream, live: boolean): ProgressLine {
  const enabled = live && stream.isTTY;
  let current = '';
  const draw = (): void => {
    if (!enabled) return;
    const width = stream.columns > 1 ? stream.columns - 1 : 79;
    stream.write(`${CLEAR_LINE}${current.length > width ? current.slice(0, width) : current}`);
  };
  return {
    update(text) {
      current = text;
      draw();
    },
    message(text) {
      if (enabled && current !== '') stream.write(CLEAR_LINE);
      stream.write(`${text}\n`);
      draw();
    },
    done() {
      if (enabled && current !== '') stream.write(CLEAR_LINE);
      current = '';
    },
  };
}
