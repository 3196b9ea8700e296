// The base of every command: the global flags (--json, --repo-dir), the one JSON envelope
// ({"status":0,"result":...} / {"status":N,"error":{code,message,hints}}), and the one place
// where errors become output and exit codes (ARCHITECTURE.md §4).
import { Command, Flags, type Interfaces } from '@oclif/core';
import { AppError, describeError, isAppError } from '../common/errors.js';
import { LocalCluster } from '../cluster/local-cluster.js';
import { parseErrorToAppError } from './parse-errors.js';
import { createTheme, type Theme } from './ui/theme.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    json: Flags.boolean({
      description:
        'Print one JSON document on stdout: {"status":0,"result":...} or {"status":N,"error":{...}}.',
      helpGroup: 'GLOBAL',
    }),
    'repo-dir': Flags.string({
      description: 'Repo dir of the cluster [default: $NEON_REPO_DIR, else ./.neon].',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
  }

  protected get isJson(): boolean {
    return this.argv.includes('--json');
  }

  protected cluster(): LocalCluster {
    // The CLI's cluster outlives the command: nothing is stopped when it exits.
    return new LocalCluster(this.flags['repo-dir'], { stopOnExit: false });
  }

  private themes: { out?: Theme; err?: Theme } = {};

  /** stderr theme for progress, warnings and hints (made once per command). */
  protected get errTheme(): Theme {
    return (this.themes.err ??= createTheme(process.stderr));
  }

  /** stdout theme for human-readable results (made once per command). */
  protected get outTheme(): Theme {
    return (this.themes.out ??= createTheme(process.stdout));
  }

  /** Prints the result: the JSON envelope with --json, else what `human` writes. */
  protected output(result: unknown, human: () => void): void {
    if (this.isJson) this.writeJson({ status: 0, result });
    else human();
  }

  /**
   * Prints a result that may be partial (some safekeepers did not answer): with --json one
   * document with the result and the problem, {"status":N,"result":...,"error":{...}}; as text
   * the result on stdout and the problem on stderr. The exit code is the problem's.
   */
  protected outputPartial(result: unknown, problem: AppError | undefined, human: () => void): void {
    if (problem === undefined) {
      this.output(result, human);
      return;
    }
    if (this.isJson)
      this.writeJson({ status: problem.exitCode, result, error: errorBody(problem) });
    else {
      human();
      this.writeErrorText(problem);
    }
    process.exitCode = problem.exitCode;
  }

  /** This command's flags as typed: --name and -c. */
  private knownFlagNames(): string[] {
    const flags = { ...BaseCommand.baseFlags, ...this.ctor.flags } as Record<
      string,
      { char?: string }
    >;
    return Object.entries(flags).flatMap(([name, flag]) =>
      flag.char === undefined ? [`--${name}`] : [`--${name}`, `-${flag.char}`],
    );
  }

  private writeJson(body: unknown): void {
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  }

  /** An error as people read it: `error: message`, then a `hint: ...` line per hint. */
  protected errorTextLines(error: AppError, theme: Theme): string[] {
    return [
      `${theme.error('error:')} ${error.message}`,
      ...error.hints.map((hint) => theme.dim(`hint: ${hint}`)),
    ];
  }

  private writeErrorText(error: AppError): void {
    for (const line of this.errorTextLines(error, this.errTheme)) process.stderr.write(`${line}\n`);
  }

  protected override async catch(error: Error & { oclif?: { exit?: number } }): Promise<void> {
    const appError = toAppError(error, this.knownFlagNames());
    if (this.isJson) this.writeJson({ status: appError.exitCode, error: errorBody(appError) });
    else this.writeErrorText(appError);
    process.exitCode = appError.exitCode;
    return Promise.resolve();
  }
}

function errorBody(error: AppError) {
  return { code: error.code, message: error.message, hints: error.hints };
}

function toAppError(
  error: Error & { oclif?: { exit?: number } },
  knownFlags: readonly string[],
): AppError {
  if (isAppError(error)) return error;
  const parseError = parseErrorToAppError(error, knownFlags);
  if (parseError !== undefined) return parseError;
  return new AppError('internal', `internal error: ${describeError(error)}`, {
    cause: error,
    hints: ['This is a bug in neon_local; please report it with the command and its output.'],
  });
}
