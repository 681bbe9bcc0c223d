// Build step (npm run build, after tsc and the copy of page/): copies the dashboard page's browser
// libraries (mermaid, uPlot) from node_modules into dist/src/dashboard/page/vendor/, so the
// published package serves them without depending on mermaid (about 150 MB installed). The list is
// the one the server serves, read from the compiled assets module.
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const { VENDOR_FILES } = await import(new URL('dist/src/dashboard/assets.js', root).href);
const require = createRequire(new URL('package.json', root));
const target = fileURLToPath(new URL('dist/src/dashboard/page/vendor/', root));
mkdirSync(target, { recursive: true });
let bytes = 0;
for (const { file, from } of VENDOR_FILES) {
  const source = require.resolve(from);
  copyFileSync(source, `${target}${file}`);
  bytes += statSync(source).size;
}
console.log(`dashboard vendor: ${VENDOR_FILES.length} files, ${(bytes / 1e6).toFixed(1)} MB -> ${target}`);
