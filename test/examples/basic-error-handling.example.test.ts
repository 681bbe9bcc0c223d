import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

it('examples/basic-error-handling.ts: typed outcomes, a failed build, and each recovery strategy', async () => {
  const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/basic-error-handling.ts'], {
    cwd: root,
    timeout: 60_000,
  });
  expect(stdout).toMatch(
    /echo: degraded after 1 attempt\(s\)[\s\S]*Process data: done[\s\S]*saw files__fail fail \(tool\)/,
  );
  expect(stdout).toMatch(
    /hang: failed \(timeout\) after 1 attempt\(s\)\n\s+Step "turn" ran out of its 250 ms budget/,
  );
  expect(stdout).toMatch(/hang, 2 attempts: failed \(timeout\) after 2 attempt\(s\)/);
  expect(stdout).toMatch(/closed team: failed \(connection\)[\s\S]*Build a new team/);
  expect(stdout).toMatch(/build failed: Team "fragile_team" could not start 1 server\(s\)/);
  expect(stdout).toMatch(
    /input error: degraded by fixInput \[team:ok -> team:input -> fixInput:ok\][\s\S]*files__add \{"a":1,"b":2\}: 3/,
  );
  expect(stdout).toMatch(
    /timeout: degraded by splitIntoSubtasks \[team:timeout -> splitIntoSubtasks:ok -> splitIntoSubtasks:ok\][\s\S]*slept 500 \| .*slept 450/,
  );
  expect(stdout).toMatch(
    /tool error: degraded by tryAlternatives \[team:ok -> team:tool -> tryAlternatives@backup_team:ok\]/,
  );
  expect(stdout).toMatch(/cancelled by the caller: failed \[team:cancelled\]/);
}, 90_000);
