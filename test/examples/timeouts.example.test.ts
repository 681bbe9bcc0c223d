import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

describe('examples/timeouts.ts', () => {
  it('cancels a hanging call, learns a timeout from slow calls, and names the step a budget ran out in', async () => {
    const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/timeouts.ts'], {
      cwd: root,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/slow 50 ms, limit 1000 ms -> "slept 50"/);
    expect(stdout).toMatch(/\[call\.failed\] hang: timeout/);
    expect(stdout).toMatch(
      /hang, limit 300 ms -> after \d+ ms: TimeoutError: Step "hang" ran out of its 300 ms budget/,
    );
    expect(stdout).toMatch(/echo afterwards -> "still here"/);
    expect(stdout).toMatch(/slow 30 ms under a 1000 ms limit/);
    expect(stdout).toMatch(/learned from \d+ calls: mean \d+ ms, sd \d+ ms -> timeout \d+ ms/);
    expect(stdout).toMatch(
      /slow 5000 ms -> cut off after \d+ ms: TimeoutError: Step "slow" ran out of its \d+ ms budget/,
    );
    expect(stdout).toMatch(/collect \(own cap 500 ms\): done/);
    expect(stdout).toMatch(
      /store: TimeoutError: Step "store" was stopped: the enclosing "report" 1500 ms budget ran out/,
    );
  }, 90_000);
});
