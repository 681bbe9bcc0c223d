// The packages an install of azcore brings, read from the repo's own lock: packaging tests lay out
// a test app from them (offline: each is linked from the repo's node_modules).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Top-level packages of the repo's lock that an install of azcore brings (not marked dev-only). */
export function runtimePackages(root: string): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(
      ([path, meta]) => /^node_modules\/(@[^/]+\/)?[^/@][^/]*$/.test(path) && !meta.dev && !meta.devOptional,
    )
    .map(([path]) => path.slice('node_modules/'.length))
    .filter((name) => existsSync(join(root, 'node_modules', name)));
}
