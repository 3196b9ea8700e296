// The repo dir as a whole: is it ours, reading its config, creating it at init, the env file,
// and the lock that makes concurrent mutating commands queue.
import { readFile, readdir, rm, writeFile, rename } from 'node:fs/promises';
import { AppError } from '../common/errors.js';
import { acquireFileLock } from '../common/file-lock.js';
import type { ClusterConfig } from './config.js';
import { etcdEndpoints, parseClusterConfig, storageEndpoint } from './config.js';
import { RepoLayout } from './repo-layout.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from './private-files.js';

/** How long a mutating command waits for another one holding the repo lock. */
/** How many entries of a foreign directory an error names. */
const SHOWN_ENTRIES_MAX = 5;

export const REPO_LOCK_WAIT_MS = 180_000;
const OUR_CONFIG_MARKER = /^\s*\[cluster\]\s*$/m;

export type RepoDirState = 'missing' | 'empty' | 'ours';

/** Refuses (exit 5) a directory that exists, is not empty and holds no neon_local config. */
export async function inspectRepoDir(layout: RepoLayout): Promise<RepoDirState> {
  let entries: string[];
  try {
    entries = await readdir(layout.repoDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') throw notOurs(layout, 'it is not a directory');
    throw error;
  }
  if (entries.includes('config')) {
    const text = await readFile(layout.configFile, 'utf8');
    if (text.trim() === '')
      throw new AppError('bad-config', `the config file ${layout.configFile} is empty`, {
        hints: [
          "Restore it from a copy, or write a new one with `neon_local init --force` (this removes the cluster's data in the repo dir).",
        ],
      });
    if (!OUR_CONFIG_MARKER.test(text))
      throw notOurs(layout, 'its config file is not a neon_local config');
    return 'ours';
  }
  if (entries.every((entry) => entry === '.lock')) return 'empty';
  const others = entries.filter((entry) => entry !== '.lock');
  const shown = others.slice(0, SHOWN_ENTRIES_MAX).join(', ');
  const more = others.length > SHOWN_ENTRIES_MAX ? `, ... (${others.length} in all)` : '';
  throw notOurs(layout, `it holds ${shown}${more} but no neon_local config`);
}

function notOurs(layout: RepoLayout, why: string): AppError {
  return new AppError(
    'not-ours',
    `refusing to use ${layout.repoDir} as a neon_local repo dir: ${why}`,
    {
      hints: ['Point --repo-dir (or NEON_REPO_DIR) at an empty or new directory.'],
    },
  );
}

function noCluster(layout: RepoLayout): AppError {
  return new AppError('not-found', `no neon_local cluster in ${layout.repoDir}`, {
    hints: ['Create one with `neon_local init` (or just `neon_local start`).'],
  });
}

export async function loadConfig(layout: RepoLayout): Promise<ClusterConfig> {
  if ((await inspectRepoDir(layout)) !== 'ours') throw noCluster(layout);
  return parseClusterConfig(await readFile(layout.configFile, 'utf8'), layout.configFile);
}

/**
 * Runs `action` holding the repo lock; waits for other holders up to REPO_LOCK_WAIT_MS. Only
 * commands that create a cluster (init, start) may create the repo dir; the others fail with
 * not-found instead of leaving an empty directory behind.
 */
export async function withRepoLock<T>(
  layout: RepoLayout,
  action: () => Promise<T>,
  options: { createDir?: boolean } = {},
): Promise<T> {
  if ((await inspectRepoDir(layout)) === 'missing') {
    if (options.createDir !== true) throw noCluster(layout);
    await makePrivateDir(layout.repoDir);
  }
  const lock = await acquireFileLock(layout.lockFile, {
    waitMs: REPO_LOCK_WAIT_MS,
    what: `repo dir ${layout.repoDir}`,
  });
  try {
    return await action();
  } finally {
    await lock.release();
  }
}

/** Writes a file so that readers see the old or the new content, never a torn one. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, content, { mode: PRIVATE_FILE_MODE });
  await rename(temporary, path);
}

/** Removes everything in the repo dir except the lock file (init --force). */
export async function clearRepoDir(layout: RepoLayout): Promise<void> {
  for (const entry of await readdir(layout.repoDir)) {
    if (entry !== '.lock') await rm(`${layout.repoDir}/${entry}`, { recursive: true, force: true });
  }
}

/** The NEON_* variables describing the cluster, for scripts (`neon_local env`, `<repo>/env`). */
export function clusterEnv(layout: RepoLayout, config: ClusterConfig): Record<string, string> {
  const env: Record<string, string> = {
    NEON_REPO_DIR: layout.repoDir,
    NEON_ETCD_ENDPOINTS: etcdEndpoints(config).join(','),
    NEON_ETCD_PREFIX: config.etcd.prefix,
    NEON_S3_ENDPOINT: storageEndpoint(config),
    NEON_S3_BUCKET: config.remoteStorage.bucket,
    NEON_S3_REGION: config.remoteStorage.region,
    NEON_S3_PREFIX: config.remoteStorage.prefix,
    NEON_SAFEKEEPER_IDS: config.safekeepers.map((sk) => sk.id).join(','),
    NEON_SAFEKEEPERS_PG: config.safekeepers.map((sk) => `127.0.0.1:${sk.pgPort}`).join(','),
  };
  for (const sk of config.safekeepers) {
    env[`NEON_SK${sk.id}_PG_ADDR`] = `127.0.0.1:${sk.pgPort}`;
    env[`NEON_SK${sk.id}_PG_PORT`] = String(sk.pgPort);
    env[`NEON_SK${sk.id}_HTTP_URL`] = `http://127.0.0.1:${sk.httpPort}`;
  }
  if (config.pageserver.enabled)
    env.NEON_PAGESERVER_HTTP_URL = `http://127.0.0.1:${config.pageserver.httpPort}`;
  return env;
}

export function renderEnvFile(env: Readonly<Record<string, string>>): string {
  const quote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;
  const lines = Object.entries(env).map(([name, value]) => `export ${name}=${quote(value)}`);
  return `# neon_local cluster environment; use it with: . ${env.NEON_REPO_DIR ?? '.neon'}/env\n${lines.join('\n')}\n`;
}

export async function writeEnvFile(layout: RepoLayout, config: ClusterConfig): Promise<void> {
  await writeFileAtomic(layout.envFile, renderEnvFile(clusterEnv(layout, config)));
}
