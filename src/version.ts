import { createRequire } from 'node:module';

/** Set by the bundle (scripts/bundle.mjs: esbuild `define`) to package.json's version; absent under tsx. */
declare const __AZCORE_VERSION__: string | undefined;

/**
 * This package's version, from its package.json, the one place it is written. For the CLI's
 * `--version`, the `clientInfo` a connection announces by default and the version of the
 * OpenTelemetry tracer and meter. The published build has it written in by the bundler (reading
 * package.json at import cost `azcore/connection` about 1.5 ms); the sources read it once.
 */
export const VERSION: string = typeof __AZCORE_VERSION__ === 'string' ? __AZCORE_VERSION__ : readVersion();

function readVersion(): string {
  const require = createRequire(import.meta.url);
  // A self-reference through the package's own "exports" ("./package.json") resolves the same from
  // src/ (tsx, vitest) and from dist/src/ (the published build); the relative paths are for a copy
  // whose package name differs (a fork, a vendored build).
  for (const path of ['azcore/package.json', '../package.json', '../../package.json']) {
    try {
      const { version } = require(path) as { version?: unknown };
      if (typeof version === 'string') return version;
    } catch {
      // Not resolvable from here: try the next place.
    }
  }
  return '0.0.0';
}
