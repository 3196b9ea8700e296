// A failed start shows the failing component's log tail once, for people: the cause on the first
// line (the base command prints it after `error:`), then `last lines of FILE:` and the lines
// rendered as `logs` renders them, indented. Any other error, and every error under --json, is
// left as it is.
import { splitLogTail } from '../../cluster/log-tail.js';
import { AppError, isAppError } from '../../common/errors.js';
import { loadLogLineRenderer } from './log-renderer.js';

const TAIL_INDENT = '  ';

export async function renderStartFailure(error: unknown, colour: boolean): Promise<unknown> {
  if (!isAppError(error)) return error;
  const split = splitLogTail(error.message);
  if (split === undefined) return error;
  const render = await loadLogLineRenderer({ colour });
  const message = [
    split.cause,
    `last lines of ${split.file}:`,
    ...split.lines.map((line) => `${TAIL_INDENT}${render(line)}`),
  ].join('\n');
  return new AppError(error.code, message, {
    cause: error,
    hints: error.hints,
    exitCode: error.exitCode,
  });
}
