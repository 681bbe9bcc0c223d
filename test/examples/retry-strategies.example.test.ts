import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

describe('examples/retry-strategies.ts', () => {
  it('prints the seeded schedules, retries the real flaky tool, and adapts to the failing kind', async () => {
    const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/retry-strategies.ts'], {
      cwd: root,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/exponential +100 +200 +400 +800 +1600 +2000/);
    expect(stdout).toMatch(/jittered +1\d\d +2\d\d/);
    expect(stdout).toMatch(/decorrelated +100 /);
    for (const strategy of ['exponential', 'jittered', 'decorrelated']) {
      expect(stdout).toMatch(
        new RegExp(`${strategy} +attempt 1 failed \\(tool\\), retry in \\d+ ms -> "flaky ok on call \\d+"`),
      );
    }
    expect(stdout).toMatch(/sync: attempt 1 failed with connection, next in 20 ms/);
    expect(stdout).toMatch(/sync: attempt 3 failed with timeout, next in 50 ms/);
    expect(stdout).toMatch(/mixed failures -> succeeded on attempt 5/);
    expect(stdout).toMatch(/input error -> not retried: InputError/);
    expect(stdout).not.toMatch(/read: attempt/);
    expect(stdout).toMatch(/deadline 100 ms -> gave up before a wait that would end past it: TimeoutError/);
  }, 90_000);
});
