// oclif's command_not_found hook: an unknown command is a usage error in our style (exit 2,
// `error:` and hints on stderr, or the --json envelope), named with spaces as typed (never
// oclif's `sk:lsit`), with the closest command offered when it is a plausible typo.
import type { Hook } from '@oclif/core';
import { EXIT_CODES } from '../../common/errors.js';
import { closestWord } from '../did-you-mean.js';
import { createTheme } from '../ui/theme.js';

const hook: Hook.CommandNotFound = function (options) {
  const typed = options.id.replaceAll(':', ' ');
  const known = this.config.commands
    .filter((command) => !command.hidden)
    .map((command) => command.id.replaceAll(':', ' '));
  const meant = closestWord(typed, known);
  const bin = this.config.bin;
  const hints = [
    ...(meant === undefined ? [] : [`Did you mean \`${bin} ${meant}\`?`]),
    `See \`${bin} --help\` for the commands.`,
  ];
  const message = `unknown command "${typed}"`;
  if (options.argv?.includes('--json')) {
    const body = { status: EXIT_CODES.usage, error: { code: 'usage', message, hints } };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    const theme = createTheme(process.stderr);
    process.stderr.write(`${theme.error('error:')} ${message}\n`);
    for (const hint of hints) process.stderr.write(`${theme.dim(`hint: ${hint}`)}\n`);
  }
  process.exit(EXIT_CODES.usage);
};

export default hook;
