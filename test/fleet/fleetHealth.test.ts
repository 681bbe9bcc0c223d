// Health verdicts shared over a real redis-server: each replica publishes its HealthChecker's
// verdicts, every replica reads the fleet view (status, at, by); the local verdict stays local.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { FleetHealth, fleetHealthCheck } from '../../src/fleet/index.js';
import { HealthChecker } from '../../src/observe/HealthChecker.js';
import { freshPrefix } from './connections.js';
import { useRedisServer } from './setup.js';

const server = useRedisServer();

/** A team as the health checker sees it: `tools` MCP tools offered, no servers. */
const team = (tools: number) => ({
  name: 'research',
  getMcpToolNames: () => Array.from({ length: tools }, (_, i) => `t${i}`),
  getServerStates: () => ({}),
});

describe('FleetHealth', () => {
  it("publishes each replica's verdict with at and by; any replica reads the fleet view, newest first", async () => {
    const clock = new SimulatedClock();
    clock.set(1_750_000_000_000);
    const prefix = freshPrefix('h');
    const [a, b] = await Promise.all(['A', 'B'].map((n) => server.connect(n, { clock, prefix })));
    const healthA = new FleetHealth(a!.redis);
    const healthB = new FleetHealth(b!.redis);
    const checkerA = new HealthChecker(team(0), { clock, intervalMs: 0 }); // no tools: unhealthy
    const checkerB = new HealthChecker(team(3), { clock, intervalMs: 0 });
    healthA.attach(checkerA);
    healthB.attach(checkerB);
    expect((await checkerA.checkHealth()).status).toBe('unhealthy');
    clock.increment(1_000);
    expect((await checkerB.checkHealth()).status).toBe('healthy');
    // attach publishes without blocking the checker: read until both verdicts are there.
    let view = await healthB.view('research');
    for (let i = 0; i < 100 && view.verdicts.length < 2; i++) view = await healthB.view('research');
    expect(view).toEqual({
      server: 'research',
      shared: true,
      verdicts: [
        { status: 'healthy', at: 1_750_000_001_000, by: 'B' },
        { status: 'unhealthy', at: 1_750_000_000_000, by: 'A' },
      ],
    });
    // The fleet view is information: each replica's own verdict is unchanged by the other's.
    expect([checkerA.status, checkerB.status]).toEqual(['unhealthy', 'healthy']);
    // A replica that stopped publishing drops out of the view after staleAfterMs.
    clock.increment(healthA.staleAfterMs - 500);
    expect((await healthA.view('research')).verdicts.map((v) => v.by)).toEqual(['B']);
    checkerA.stop();
    checkerB.stop();
  });

  it('fleetHealthCheck passes while Redis answers (the check a HealthChecker runs as `fleet`)', async () => {
    const clock = new SimulatedClock();
    const { redis } = await server.connect('A', { clock, prefix: freshPrefix('h') });
    const checker = new HealthChecker(team(1), {
      clock,
      intervalMs: 0,
      checks: { fleet: fleetHealthCheck(redis) },
    });
    const report = await checker.checkHealth();
    expect(report.checks.fleet).toMatchObject({
      status: 'pass',
      detail: 'Redis connected: fleet state shared',
    });
    checker.stop();
  });
});
