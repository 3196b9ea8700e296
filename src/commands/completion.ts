import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import {
  renderBashCompletion,
  renderZshCompletion,
  type ArgumentKind,
  type CompletedCommand,
} from '../cli/completion-script.js';
import { AppError } from '../common/errors.js';

const SHELLS = ['bash', 'zsh'] as const;
const GLOBAL_FLAGS = ['--json', '--repo-dir', '--help'];
const ARGUMENT_KINDS: Readonly<Record<string, ArgumentKind>> = {
  id: 'safekeeper',
  component: 'component',
  timeline: 'timeline',
};

export default class Completion extends BaseCommand<typeof Completion> {
  static override summary = 'Print a shell completion script (bash or zsh)';
  static override description =
    'Completes commands, flags, safekeeper ids, component names and the timeline ids of the ' +
    'repo dir (read from its files by the shell: a TAB costs no Node start). Load it from your ' +
    'shell start-up file.';
  static override examples = [
    'echo \'eval "$(neon_local completion bash)"\' >> ~/.bashrc',
    'echo \'eval "$(neon_local completion zsh)"\' >> ~/.zshrc',
  ];
  static override args = {
    shell: Args.string({ description: 'bash or zsh', required: true, options: [...SHELLS] }),
  };

  public async run(): Promise<void> {
    const commands: CompletedCommand[] = this.config.commands
      .filter((command) => !command.hidden)
      .map((command) => {
        const flags = Object.entries(command.flags).flatMap(([name, flag]) =>
          flag.char === undefined ? [`--${name}`] : [`--${name}`, `-${flag.char}`],
        );
        const argumentName = Object.keys(command.args)[0];
        return {
          id: command.id.replaceAll(':', ' '),
          flags: [...new Set([...flags, ...GLOBAL_FLAGS])],
          argument:
            (argumentName === undefined ? undefined : ARGUMENT_KINDS[argumentName]) ?? 'none',
        };
      })
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const shell = this.args.shell;
    if (shell !== 'bash' && shell !== 'zsh') throw new AppError('usage', `unknown shell ${shell}`);
    const script = (shell === 'bash' ? renderBashCompletion : renderZshCompletion)(
      this.config.bin,
      commands,
    );
    this.output({ shell, script }, () => process.stdout.write(script));
    return Promise.resolve();
  }
}
