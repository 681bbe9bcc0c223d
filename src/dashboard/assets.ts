import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../errors/ConfigurationError.js';

/** A file the dashboard serves. */
export interface Asset {
  path: string;
  type: string;
}

/** A browser library the page loads from `/vendor/<file>`, and where a dev checkout has it. */
export interface VendorFile {
  /** File name under `page/vendor/` and the URL path `/vendor/<file>`. */
  file: string;
  /** Its module specifier in node_modules (a devDependency: only the build and the dev path read it). */
  from: string;
  type: string;
}

const require = createRequire(import.meta.url);
// The build (scripts/bundle.mjs) copies page/ next to the bundled file that holds this module (a
// chunk under dist/src/chunks/), so this holds under tsx and in dist alike.
const page = (file: string): string => fileURLToPath(new URL(`./page/${file}`, import.meta.url));

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * The page's browser libraries. `npm run build` copies them into the page's `vendor/` folder
 * (scripts/bundle.mjs), so an installed azcore serves them without having mermaid (about
 * 150 MB installed) or uplot among its dependencies; from src/ under tsx they come from node_modules.
 */
export const VENDOR_FILES: readonly VendorFile[] = [
  { file: 'mermaid.min.js', from: 'mermaid/dist/mermaid.min.js', type: JS },
  { file: 'uPlot.iife.min.js', from: 'uplot/dist/uPlot.iife.min.js', type: JS },
  { file: 'uPlot.min.css', from: 'uplot/dist/uPlot.min.css', type: CSS },
];

/** The prebuilt copy next to this module (dist), else the package in node_modules (dev checkout). */
function vendorPath(vendor: VendorFile): string {
  const built = page(`vendor/${vendor.file}`);
  if (existsSync(built)) return built;
  try {
    return require.resolve(vendor.from);
  } catch (e) {
    throw new ConfigurationError(
      `dashboard: the page's ${vendor.file} is missing: neither ${built} (written by \`npm run build\`) nor the package ${vendor.from.split('/')[0]} (a devDependency) is there.`,
      { cause: e, hint: 'Run `npm run build` in the azcore checkout, or reinstall azcore.' },
    );
  }
}

/**
 * Every URL the dashboard serves as a file: the page, and the charting and diagram libraries
 * (prebuilt at build time; no CDN: the page works offline).
 */
export function dashboardAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>([
    ['/', { path: page('index.html'), type: 'text/html; charset=utf-8' }],
    ['/app.js', { path: page('app.js'), type: JS }],
    ['/actions.js', { path: page('actions.js'), type: JS }],
    ['/toolForm.js', { path: page('toolForm.js'), type: JS }],
    ['/inspector.js', { path: page('inspector.js'), type: JS }],
    ['/cards.js', { path: page('cards.js'), type: JS }],
    ['/charts.js', { path: page('charts.js'), type: JS }],
    ['/log.js', { path: page('log.js'), type: JS }],
    ['/tone.js', { path: page('tone.js'), type: JS }],
    ['/style.css', { path: page('style.css'), type: CSS }],
  ]);
  for (const vendor of VENDOR_FILES) {
    assets.set(`/vendor/${vendor.file}`, { path: vendorPath(vendor), type: vendor.type });
  }
  return assets;
}

const cache = new Map<string, Promise<Buffer>>();

/** The bytes of an asset, read once. */
export function readAsset(asset: Asset): Promise<Buffer> {
  let bytes = cache.get(asset.path);
  if (!bytes) {
    bytes = readFile(asset.path);
    bytes.catch(() => cache.delete(asset.path));
    cache.set(asset.path, bytes);
  }
  return bytes;
}
