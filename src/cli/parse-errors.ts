// oclif's parser errors in our words: "unknown flag --sizee" with the flag meant, "invalid
// --lines "abc": expected an integer", "missing argument TIMELINE". Every one is a usage error
// (exit 2) pointing at --help; the text never shows oclif's own phrasing or its `sk:list` ids.
import { AppError, EXIT_CODES } from '../common/errors.js';
import { closestWord } from './did-you-mean.js';

interface ParserError extends Error {
  readonly oclif?: { exit?: number };
  readonly flags?: readonly string[];
  readonly args?: readonly ({ name?: string } | string)[];
}

const HELP_HINT = "See the command's --help.";
const INTEGER_PROBLEM =
  /^Parsing --(\S+)\s*\n\s*Expected an integer(?: (greater|less) than or equal to (-?\d+))? but received: (.*)$/s;
const OPTION_PROBLEM = /^Expected --([\w-]+)=(.*) to be one of: (.*)$/s;

function unknownFlags(flags: readonly string[], known: readonly string[]): AppError {
  const hints = flags.flatMap((flag) => {
    const meant = closestWord(flag.replace(/=.*$/, ''), known);
    return meant === undefined ? [] : [`Did you mean ${meant}?`];
  });
  const plural = flags.length === 1 ? '' : 's';
  return new AppError('usage', `unknown flag${plural} ${flags.join(', ')}`, {
    hints: [...hints, HELP_HINT],
  });
}

function argumentName(arg: { name?: string } | string): string {
  return (typeof arg === 'string' ? arg : (arg.name ?? '?')).toUpperCase();
}

function rephrase(error: ParserError): string {
  const text = error.message.replace(/\s*See more help with --help\s*$/, '');
  const integer = INTEGER_PROBLEM.exec(text);
  if (integer !== null) {
    const [, flag, side, bound, input] = integer;
    const range = side === undefined ? '' : ` ${side === 'greater' ? '>=' : '<='} ${bound ?? ''}`;
    return `invalid --${flag ?? ''} "${input?.trim() ?? ''}": expected an integer${range}`;
  }
  const option = OPTION_PROBLEM.exec(text);
  if (option !== null)
    return `invalid --${option[1] ?? ''} "${option[2] ?? ''}": expected one of ${option[3] ?? ''}`;
  if (error.message.startsWith('Missing') && error.args !== undefined)
    return `missing argument${error.args.length === 1 ? '' : 's'} ${error.args.map(argumentName).join(', ')}`;
  if (error.message.startsWith('Unexpected argument') && error.args !== undefined)
    return `unexpected argument${error.args.length === 1 ? '' : 's'} ${error.args.map((arg) => (typeof arg === 'string' ? arg : (arg.name ?? '?'))).join(', ')}`;
  return text.replace(/\n\s*/g, ': ');
}

/** A parser error as an AppError, or undefined when `error` is not one. */
export function parseErrorToAppError(
  error: ParserError,
  knownFlags: readonly string[],
): AppError | undefined {
  if (typeof error.oclif?.exit !== 'number') return undefined;
  if (error.oclif.exit === 0)
    return new AppError('usage', error.message, { exitCode: EXIT_CODES.ok });
  if (error.message.startsWith('Nonexistent flag') && error.flags !== undefined)
    return unknownFlags(error.flags, knownFlags);
  return new AppError('usage', rephrase(error), {
    hints: [HELP_HINT],
    exitCode: EXIT_CODES.usage,
  });
}
