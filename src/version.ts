import { createRequire } from 'node:module';

/**
 * This package's version, read once from its package.json, the one place it is written. For the
 * CLI's `--version`, the `clientInfo` a connection announces by default and the version of the
 * OpenTelemetry tracer and meter.
 */
export const VERSION: string = readVersion();

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
