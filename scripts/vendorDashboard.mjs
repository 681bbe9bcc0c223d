// Build step (npm run build, after tsc and the copy of page/): copies the dashboard page's browser
// libraries (mermaid, uPlot) from node_modules into dist/src/dashboard/page/vendor/, so the
// published package serves them without depending on mermaid (about 150 MB installed). The list is
// the one the server serves, read from the compiled assets module. Argument: the dist folder
// (default: the repo's dist/; test/packaging builds into a temporary one).
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('../', import.meta.url);
const dist = process.argv[2]
  ? pathToFileURL(`${process.argv[2].replace(/\/$/, '')}/`)
  : new URL('dist/', root);
const { VENDOR_FILES } = await import(new URL('src/dashboard/assets.js', dist).href);
const require = createRequire(new URL('package.json', root));
const target = fileURLToPath(new URL('src/dashboard/page/vendor/', dist));
mkdirSync(target, { recursive: true });
let bytes = 0;
for (const { file, from } of VENDOR_FILES) {
  const source = require.resolve(from);
  copyFileSync(source, `${target}${file}`);
  bytes += statSync(source).size;
}
console.log(`dashboard vendor: ${VENDOR_FILES.length} files, ${(bytes / 1e6).toFixed(1)} MB -> ${target}`);
