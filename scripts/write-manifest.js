// Regenerates oclif.manifest.json from the compiled commands (run by `npm run build`), so that
// oclif never has to import every command module to list them: that would load etcd3 and the
// AWS SDK on every invocation. Uses @oclif/core's own loader instead of the heavy `oclif` tool.
import { Plugin } from '@oclif/core';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Loading the commands here is no real run: the bundles' warm code caches are left to those.
process.env.NEON_LOCAL_COLD_CODE_CACHE = '1';
const plugin = new Plugin({
  root,
  type: 'core',
  ignoreManifest: true,
  errorOnManifestCreate: true,
  respectNoCacheDefault: true,
});
await plugin.load();
writeFileSync(
  new URL('../oclif.manifest.json', import.meta.url),
  `${JSON.stringify(plugin.manifest, null, 2)}\n`,
);
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`);
