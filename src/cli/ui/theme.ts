// Colour for humans: the only importer of chalk. Colour is used only when the stream is a TTY
// and NO_COLOR is not set, so scripts and `--json` never see escape codes. chalk is loaded only
// when some output stream is a terminal, which keeps scripted invocations fast.
import type { ChalkInstance } from 'chalk';

export interface Theme {
  ok(text: string): string;
  warn(text: string): string;
  error(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const chalkModule =
  process.stdout.isTTY || process.stderr.isTTY ? await import('chalk') : undefined;

export function colorEnabled(
  stream: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return stream.isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

const PLAIN: Theme = {
  ok: (t) => t,
  warn: (t) => t,
  error: (t) => t,
  dim: (t) => t,
  bold: (t) => t,
};

export function createTheme(stream: NodeJS.WriteStream): Theme {
  if (chalkModule === undefined || !colorEnabled(stream)) return PLAIN;
  const chalk: ChalkInstance = new chalkModule.Chalk({ level: 1 });
  return {
    ok: (text) => chalk.green(text),
    warn: (text) => chalk.yellow(text),
    error: (text) => chalk.red(text),
    dim: (text) => chalk.dim(text),
    bold: (text) => chalk.bold(text),
  };
}
