// Per-test temporary directories, removed when the test ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export async function makeTempDir(
  t: Pick<TestContext, 'after'> | undefined,
  prefix = 'neon-local-test-',
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t?.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
