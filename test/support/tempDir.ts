// A scratch directory for one test file or describe block, removed after its last test, so a
// run of the suite leaves nothing behind in the system temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Makes `<tmp>/<prefix>XXXXXX` now and registers its removal in the caller's `afterAll`. */
export function useTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
