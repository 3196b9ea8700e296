// Colour for humans: the only importer of chalk. Colour is used only when the stream is a TTY
// and NO_COLOR is not set, so scripts and `--json` never see escape codes.
import { Chalk } from 'chalk';

export interface Theme {
  ok(text: string): string;
  warn(text: string): string;
  error(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export function colorEnabled(
  stream: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return stream.isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export function createTheme(stream: NodeJS.WriteStream): Theme {
  const chalk = new Chalk({ level: colorEnabled(stream) ? 1 : 0 });
  return {
    ok: (text) => chalk.green(text),
    warn: (text) => chalk.yellow(text),
    error: (text) => chalk.red(text),
    dim: (text) => chalk.dim(text),
    bold: (text) => chalk.bold(text),
  };
}
