import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

it('examples/production.ts: degraded (optional server down, server died, cache, fallback), failed, then status', async () => {
  const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/production.ts'], {
    cwd: root,
    timeout: 60_000,
  });
  expect(stdout).toMatch(
    /1\. a task the team can do.*\n {2}status: degraded {2}\(source team; tried team; task breaker closed\)/,
  );
  expect(stdout).toMatch(/hello from production[\s\S]*why: optional server search unavailable/);
  expect(stdout).toMatch(
    /2\. the server dies under a tool call\n {2}status: degraded {2}\(source team[\s\S]*why: tool files__crash failed: connection/,
  );
  expect(stdout).toMatch(/\(files reconnected\)/);
  expect(stdout).toMatch(
    /3b\. .*\n {2}status: degraded {2}\(source cache; tried team timeout -> cache;[\s\S]*slept 200[\s\S]*error: timeout/,
  );
  expect(stdout).toMatch(
    /4\. .*\n {2}status: degraded {2}\(source fallback; tried team timeout -> team timeout -> cache resource -> fallback;[\s\S]*it has been queued/,
  );
  expect(stdout).toMatch(
    /5\. .*\n {2}status: failed {2}\(source none; tried team timeout -> team timeout -> cache resource -> fallback protocol;[\s\S]*error: timeout: Every source failed \(4 tried\)[\s\S]*why: team failed: timeout/,
  );
  expect(stdout).toMatch(/tasks: 6 run, 3 ok, 3 failed, errors \{"timeout":3\}/);
  expect(stdout).toMatch(/files reconnects: 1\nclosed\s*$/);
}, 90_000);
