import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

it('examples/error-simulation.ts: typed errors, seeded failures, no real waits, faults on a real connection', async () => {
  const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/error-simulation.ts'], {
    cwd: root,
    timeout: 60_000,
  });
  expect(stdout).toMatch(/connection code=ECONNREFUSED retryable=true/);
  expect(stdout).toMatch(/auth {7}code=HTTP_401 {5}retryable=false/);
  expect(stdout).toMatch(/ {2}\.\.\.\.x\.x\.\.\.x\.\.\.x\.\.\.x\. {3}\(x = failed\)/);
  expect(stdout).toMatch(/gave up at once: auth/);
  expect(stdout).toMatch(/timeout: Step "search" ran out of its 30000 ms budget/);
  expect(stdout).toMatch(/breaker: open\n {2}4th call rejected without running: circuitOpen/);
  expect(stdout).toMatch(/fault on connection 1: crashed outgoing tools\/call\n {2}connection: reconnecting/);
  expect(stdout).toMatch(/fault on connection 2: delayed outgoing tools\/call/);
  expect(stdout).toMatch(/echo answered after the crash and a reconnect: "it got through"/);
  expect(stdout).toMatch(/connection: closed\s*$/);
}, 90_000);
