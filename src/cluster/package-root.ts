// The installed package's root directory (where bin/ and templates/ live), found from this
// compiled file's location: <root>/dist/src/cluster/package-root.js.
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
