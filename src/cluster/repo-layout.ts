// Where everything lives inside the repo dir (ARCHITECTURE.md §3). Pure path arithmetic: no I/O.
import { isAbsolute, join, resolve } from 'node:path';
import type { NodeId } from '../common/ids.js';

export const REPO_DIR_ENV = 'NEON_REPO_DIR';
export const DEFAULT_REPO_DIR = '.neon';

/** --repo-dir, else NEON_REPO_DIR, else ./.neon; always absolute. */
export function resolveRepoDir(flagValue?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flagValue ?? env[REPO_DIR_ENV] ?? DEFAULT_REPO_DIR;
  return isAbsolute(chosen) ? chosen : resolve(chosen);
}

export interface ComponentPaths {
  /** Directory owned by the component (pid and log files live here). */
  readonly homeDir: string;
  /** The component's own data directory (passed to it on its command line). */
  readonly dataDir: string;
  readonly pidFile: string;
  readonly logFile: string;
}

export class RepoLayout {
  constructor(readonly repoDir: string) {}

  get configFile(): string {
    return join(this.repoDir, 'config');
  }

  get envFile(): string {
    return join(this.repoDir, 'env');
  }

  get lockFile(): string {
    return join(this.repoDir, '.lock');
  }

  get etcd(): ComponentPaths {
    const homeDir = join(this.repoDir, 'etcd');
    return {
      homeDir,
      dataDir: join(homeDir, 'data'),
      pidFile: join(homeDir, 'etcd.pid'),
      logFile: join(homeDir, 'etcd.log'),
    };
  }

  get storage(): ComponentPaths {
    const homeDir = join(this.repoDir, 'storage');
    return {
      homeDir,
      dataDir: join(homeDir, 'data'),
      pidFile: join(homeDir, 'storage.pid'),
      logFile: join(homeDir, 'storage.log'),
    };
  }

  safekeeper(id: NodeId): ComponentPaths {
    const homeDir = join(this.repoDir, 'safekeepers', `sk${id}`);
    return {
      homeDir,
      dataDir: homeDir,
      pidFile: join(homeDir, 'safekeeper.pid'),
      logFile: join(homeDir, 'safekeeper.log'),
    };
  }

  get pageserver(): ComponentPaths {
    const homeDir = join(this.repoDir, 'pageserver');
    return {
      homeDir,
      dataDir: homeDir,
      pidFile: join(homeDir, 'pageserver.pid'),
      logFile: join(homeDir, 'pageserver.log'),
    };
  }
}
