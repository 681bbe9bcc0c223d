import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

it('examples/circuit-breakers.ts: one breaker trips and recovers; the registry isolates the failing service', async () => {
  const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/circuit-breakers.ts'], {
    cwd: root,
    timeout: 60_000,
  });
  expect(stdout).toMatch(/\[breaker team\] closed -> open/);
  expect(stdout).toMatch(/task 3: fallback answer for "Task 3" \(breaker open, no call made\)/);
  expect(stdout).toMatch(/the service was called 3 times for 6 tasks/);
  expect(stdout).toMatch(/\[breaker team\] open -> halfOpen[\s\S]*\[breaker team\] halfOpen -> closed/);
  expect(stdout).toMatch(/round 4: github_api ok, search_api REJECTED, weather_api ok/);
  expect(stdout).toMatch(/"search_api":\{"state":"open","retryAt":"\+\d+ ms"\}/);
  expect(stdout).toMatch(/Circuit breaker 'weather_api' is isolated by hand/);
  expect(stdout).toMatch(/\[search_api\] halfOpen -> closed/);
  expect(stdout).toMatch(
    /status: \{"github_api":\{"state":"closed"\},"search_api":\{"state":"closed"\},"weather_api":\{"state":"closed"\}\}\s*$/,
  );
}, 90_000);
