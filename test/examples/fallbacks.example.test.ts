import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

it('examples/fallbacks.ts: static, dynamic (real teams), cached (SQLite) and chain fallbacks', async () => {
  const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/fallbacks.ts'], {
    cwd: root,
    timeout: 60_000,
  });
  expect(stdout).toMatch(/fetch user data: degraded from static, reason connection/);
  expect(stdout).toMatch(/value: Unable to fetch data\. Please try again later\./);
  expect(stdout).toMatch(
    /process data: degraded from fallback, reason connection\n.*team failed \(connection\/OUTCOME_UNKNOWN\) -> fallback ok/,
  );
  expect(stdout).toMatch(/value: local team: processed 3 records locally/);
  expect(stdout).toMatch(/analyze \(service up\): success from live/);
  expect(stdout).toMatch(/analyze \(service down\): degraded from cache, reason connection/);
  expect(stdout).toMatch(/cache failed \(resource\/CACHE_MISS\)/);
  expect(stdout).toMatch(
    /after a restart, same task: degraded from cache[\s\S]*value: \{"total":1234\.5,"rows":42\}/,
  );
  expect(stdout).toMatch(
    /Backup API failed \(timeout\/TIMEOUT\) -> Local Server ok\n\s+value: local team computed 42/,
  );
  expect(stdout).toMatch(
    /every option down: failed[\s\S]*Every source failed \(2 tried\):[\s\S]*1\. Primary API[\s\S]*2\. Backup API .*300 ms budget/,
  );
}, 90_000);
