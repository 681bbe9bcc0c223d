import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A file the dashboard serves. */
export interface Asset {
  path: string;
  type: string;
}

const require = createRequire(import.meta.url);
// The build copies page/ next to the compiled module, so this holds under tsx and in dist alike.
const page = (file: string): string => fileURLToPath(new URL(`./page/${file}`, import.meta.url));

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * Every URL the dashboard serves as a file: the page, and the charting and diagram libraries from
 * node_modules (no CDN: the page works offline).
 */
export function dashboardAssets(): Map<string, Asset> {
  return new Map<string, Asset>([
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
    ['/vendor/mermaid.min.js', { path: require.resolve('mermaid/dist/mermaid.min.js'), type: JS }],
    ['/vendor/uPlot.iife.min.js', { path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: JS }],
    ['/vendor/uPlot.min.css', { path: require.resolve('uplot/dist/uPlot.min.css'), type: CSS }],
  ]);
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
