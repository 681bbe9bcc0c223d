import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

it('examples/policies.ts: timeout, retry, breaker and fallback over a real MCP server; validate; a whole budget', async () => {
  const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/policies.ts'], {
    cwd: root,
    timeout: 60_000,
  });
  expect(stdout).toMatch(/echo: success from echo\n\s+attempts: echo#1 ok\n\s+value: "hello"/);
  expect(stdout).toMatch(/\(breaker closed -> open\)/);
  expect(stdout).toMatch(
    /hang: degraded from static\n\s+attempts: hang#1 timeout -> hang#2 timeout -> hang#3 circuitOpen -> static ok/,
  );
  expect(stdout).toMatch(
    /reasons: hang failed: timeout TIMEOUT \| hang failed \(attempt 2\): timeout TIMEOUT/,
  );
  expect(stdout).toMatch(/the server still answers: still here/);
  expect(stdout).toMatch(/search: failed\n\s+attempts: \n\s+reasons: stopped: input VALIDATION_FAILED/);
  expect(stdout).toMatch(
    /hang within 300 ms: failed[\s\S]*error: Step "whole task" ran out of its 300 ms budget/,
  );
}, 90_000);
