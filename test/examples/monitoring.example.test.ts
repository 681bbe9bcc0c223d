import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

it('examples/monitoring.ts: metrics from events, a structured log pair, health with detail, Prometheus text', async () => {
  const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/monitoring.ts'], {
    cwd: root,
    timeout: 60_000,
  });
  expect(stdout).toMatch(/"operation":"team_execution","team":"monitored","status":"started"/);
  expect(stdout).toMatch(/"status":"success","duration_ms":\d+/);
  expect(stdout).toMatch(/team_execution\s+count=6 success=100%/);
  expect(stdout).toMatch(/tool_call tools flaky\s+count=6 success=67% .* tool=2/);
  expect(stdout).toMatch(/flaky tool: 2 of 6 calls failed/);
  expect(stdout).toMatch(
    /health: degraded\n {2}tools: pass - \d+ MCP tools offered\n {2}servers: warn - 1\/2 servers connected; optional servers unavailable: search/,
  );
  expect(stdout).toMatch(/execution: pass - probe succeeded/);
  expect(stdout).toMatch(/# TYPE azcore_operations_total counter/);
  expect(stdout).toMatch(
    /azcore_operations_total\{operation="tool_call",server="tools",tool="flaky",outcome="failure"\} 2/,
  );
  expect(stdout).toMatch(/azcore_health_status\{target="monitored",status="degraded"\} 1/);
}, 90_000);
