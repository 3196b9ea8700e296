// The import layering of STYLE.md is enforced by lint: a forbidden import placed in a temporary
// file under src/ must fail with the layering rule, and an allowed one must pass it. Runs ESLint
// with the project's own config, so a config whose blocks override each other would fail here.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface Probe {
  /** Folder under src/ the probe file is written to. */
  readonly folder: string;
  readonly importSpec: string;
  readonly forbidden: boolean;
}

const PROBES: readonly Probe[] = [
  { folder: 'walproposer', importSpec: '../safekeeper/protocol/acceptor.js', forbidden: true },
  { folder: 'safekeeper/pg-wire', importSpec: '../../walproposer/walproposer.js', forbidden: true },
  { folder: 'safekeeper', importSpec: '../cluster/config.js', forbidden: true },
  { folder: 's3-server', importSpec: '../safekeeper/config.js', forbidden: true },
  { folder: 'postgres', importSpec: 'chalk', forbidden: true },
  { folder: 'postgres/wire', importSpec: '../../protocol/proposer-codec.js', forbidden: true },
  { folder: 'common', importSpec: '../postgres/lsn.js', forbidden: true },
  { folder: 'protocol', importSpec: '../safekeeper/timeline/timeline.js', forbidden: true },
  { folder: 'cluster', importSpec: '../cli/flags.js', forbidden: true },
  { folder: 'cluster', importSpec: 'listr2', forbidden: true },
  { folder: 'client', importSpec: '../cluster/config.js', forbidden: true },
  { folder: 'pageserver', importSpec: '../safekeeper/config.js', forbidden: true },
  {
    folder: 'pageserver/receiver',
    importSpec: '../../walproposer/walproposer.js',
    forbidden: true,
  },
  { folder: 'pageserver', importSpec: '../cluster/config.js', forbidden: true },
  { folder: 'safekeeper', importSpec: '../pageserver/config.js', forbidden: true },
  { folder: 'cluster', importSpec: '../pageserver/config.js', forbidden: true },
  { folder: 'walproposer', importSpec: '../protocol/proposer-codec.js', forbidden: false },
  { folder: 'safekeeper', importSpec: '../protocol/term-history.js', forbidden: false },
  { folder: 'pageserver', importSpec: '../remote-storage/s3-client.js', forbidden: false },
  { folder: 'pageserver/wal', importSpec: '../../postgres/wal/wal-decoder.js', forbidden: false },
  { folder: 'commands', importSpec: 'chalk', forbidden: false },
  { folder: 'cluster', importSpec: '../walproposer/walproposer.js', forbidden: false },
];

test('a forbidden import fails lint with the layering rule; an allowed one passes it', async () => {
  const files = PROBES.map((probe, index) =>
    join(root, 'src', probe.folder, `zz-layering-probe-${process.pid}-${index}.ts`),
  );
  try {
    await Promise.all(
      PROBES.map((probe, index) =>
        writeFile(files[index]!, `import '${probe.importSpec}';\nexport {};\n`),
      ),
    );
    const results = await new ESLint({ cwd: root }).lintFiles(files);
    for (const [index, probe] of PROBES.entries()) {
      const result = results.find((entry) => entry.filePath === files[index]);
      assert.ok(result, `no lint result for ${files[index]}`);
      const layering = result.messages.filter((message) => message.ruleId === 'local/layering');
      const what = `src/${probe.folder} importing ${probe.importSpec}`;
      if (probe.forbidden) {
        assert.equal(layering.length, 1, `${what} should fail lint`);
        assert.equal(layering[0]!.severity, 2, `${what} should be an error`);
      } else {
        assert.deepEqual(layering, [], `${what} should pass the layering rule`);
      }
    }
  } finally {
    await Promise.all(files.map((file) => rm(file, { force: true })));
  }
});
