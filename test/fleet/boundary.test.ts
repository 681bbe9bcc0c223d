// The fleet is optional: only src/fleet/ may load a Redis client, and the package root must not.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const REDIS_IMPORT =
  /from\s+['"](ioredis|redis|@redis\/[^'"]+|iovalkey|@valkey\/[^'"]+)['"]|import\(\s*['"](ioredis|redis)['"]/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

it('no file of src/ outside src/fleet/ imports a Redis client', () => {
  const offenders = sources(join(root, 'src'))
    .map((path) => relative(root, path))
    .filter((path) => !path.startsWith(join('src', 'fleet')))
    .filter((path) => REDIS_IMPORT.test(readFileSync(join(root, path), 'utf8')));
  expect(offenders).toEqual([]);
  expect(REDIS_IMPORT.test(readFileSync(join(root, 'src/fleet/FleetRedis.ts'), 'utf8'))).toBe(true);
});

it('importing the package root loads no Redis client; azcore/fleet does', async () => {
  const loaded = async (entry: string) => {
    const script = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(pathToFileURL(join(root, entry)).href)});
      const cache = Object.keys(createRequire(${JSON.stringify(pathToFileURL(join(root, 'package.json')).href)}).cache);
      console.log(JSON.stringify(cache.filter((m) => /node_modules[\\\\/](ioredis|@redis)[\\\\/]/.test(m)).length));
      process.exit(0);
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: root, timeout: 60_000 },
    );
    return Number(stdout.trim().split('\n').at(-1));
  };
  const [atRoot, atFleet] = await Promise.all([loaded('src/index.ts'), loaded('src/fleet/index.ts')]);
  expect(atRoot).toBe(0);
  expect(atFleet).toBeGreaterThan(0);
}, 60_000);
