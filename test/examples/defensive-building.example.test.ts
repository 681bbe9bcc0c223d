import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

it('examples/defensive-building.ts: connectivity check, build with retry, validation, pool', async () => {
  const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/defensive-building.ts'], {
    cwd: root,
    timeout: 60_000,
  });
  expect(stdout).toMatch(/search_api is unreachable: connection\/\w+; it stays optional/);
  expect(stdout).toMatch(/attempt 1 failed \(- files: .*\); retrying in 100 ms\n\s+attempt 2: building/);
  expect(stdout).toMatch(/built: team is degraded, 2 of 3 servers connected/);
  expect(stdout).toMatch(
    /files\s+required\s+ready\n\s+memory\s+optional\s+ready\n\s+search_api optional\s+\w+/,
  );
  expect(stdout).toMatch(/rejected: Parameter 'task' must be a string \(got number\)/);
  expect(stdout).toMatch(/rejected: Parameter 'limit' is too large: 12 \(max 10\)/);
  expect(stdout).toMatch(/rejected: 2 problems: - Missing required keys: action .* - Invalid keys: mode/);
  expect(stdout).toMatch(/bad params: failed \(input\), team not called: true/);
  expect(stdout).toMatch(/good params: degraded: files__echo \{"text":"validated input"\}: validated input/);
  expect(stdout).toMatch(/reasons: optional server search_api unavailable \(\w+, breaker \w+\)/);
  for (const n of [1, 2, 3, 4])
    expect(stdout).toMatch(new RegExp(`task ${n} on pool_team-[12]: .*slept 10${n}`));
  expect(stdout).toMatch(/events: 4 acquired \(2 after waiting\), 4 released/);
  expect(stdout).toMatch(/closed: \{"state":"closed","size":2,"empty":2,.*"busy":0,"waiting":0\}/);
}, 90_000);
