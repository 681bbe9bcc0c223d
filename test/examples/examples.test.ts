import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const tsx = `${root}node_modules/.bin/tsx`;

// The examples are documentation that must keep working: each runs offline, as a user would run it.
describe('examples', () => {
  it('npm start (team-demo --json): survives a killed server and a dead one, recalls after reconnect', async () => {
    const { stdout } = await run(tsx, ['examples/team-demo.ts', '--json'], { cwd: root, timeout: 90_000 });
    const out = JSON.parse(stdout) as {
      answers: string[];
      metrics: Record<string, { ok: number; failed: number; reconnects: number }>;
      servers: Record<string, { state: string; breaker: string }>;
      health: { status: string };
    };
    expect(out.answers[0]).toMatch(/web service is up/);
    expect(out.answers[1]).toMatch(/azcore/);
    expect(out.metrics.memory).toMatchObject({ ok: 2, failed: 0, reconnects: 1 });
    expect(out.servers.memory?.state).toBe('ready');
    expect(out.servers.offline?.state).not.toBe('ready');
    expect(out.health.status).toBe('degraded');
  }, 120_000);

  it('basic-connection: reconnects after SIGKILL and answers from the new process', async () => {
    const { stdout } = await run(tsx, ['examples/basic-connection.ts'], { cwd: root, timeout: 60_000 });
    expect(stdout).toMatch(/ready -> reconnecting/);
    expect(stdout).toMatch(/after the crash, read_graph answered from a new process/);
    expect(stdout).toMatch(/closed; no child process left/);
  }, 90_000);
});
