// Runs the real CLI (bin/run.js) as a child process, the way users and scripts do.
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = `${PROJECT_ROOT}bin/run.js`;
const CLI_TIMEOUT_MS = 120_000;

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(
  args: readonly string[],
  options: { repoDir?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...options.env, NO_COLOR: '1' };
  if (options.repoDir !== undefined) env.NEON_REPO_DIR = options.repoDir;
  const result = await execa(process.execPath, [CLI, ...args], {
    env,
    reject: false,
    timeout: CLI_TIMEOUT_MS,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI with --json and returns the parsed envelope. */
export async function runCliJson<T = unknown>(
  args: readonly string[],
  options: { repoDir?: string; env?: Record<string, string> } = {},
): Promise<{
  exitCode: number;
  body: { status: number; result?: T; error?: { code: string; message: string; hints: string[] } };
  stderr: string;
}> {
  const result = await runCli([...args, '--json'], options);
  let body;
  try {
    body = JSON.parse(result.stdout) as {
      status: number;
      result?: T;
      error?: { code: string; message: string; hints: string[] };
    };
  } catch {
    throw new Error(
      `neon_local ${args.join(' ')} --json printed no JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { exitCode: result.exitCode, body, stderr: result.stderr };
}
