// Colour for humans: the only importer of chalk. Colour is used only when the stream is a TTY
// and NO_COLOR is not set, so scripts and `--json` never see escape codes. chalk is imported
// statically: the CLI bundle is CommonJS (no top-level await), and with its code cache chalk's
// module costs a scripted invocation next to nothing.
import { Chalk, type ChalkInstance } from 'chalk';

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

export const PLAIN: Theme = {
  ok: (t) => t,
  warn: (t) => t,
  error: (t) => t,
  dim: (t) => t,
  bold: (t) => t,
};

export function createTheme(stream: NodeJS.WriteStream): Theme {
  if (!colorEnabled(stream)) return PLAIN;
  const chalk: ChalkInstance = new Chalk({ level: 1 });
  return {
    ok: (text) => chalk.green(text),
    warn: (text) => chalk.yellow(text),
    error: (text) => chalk.red(text),
    dim: (text) => chalk.dim(text),
    bold: (text) => chalk.bold(text),
  };
}
