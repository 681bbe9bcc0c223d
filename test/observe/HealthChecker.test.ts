import { filter, firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { type HealthChecksOutput, healthMachine, healthVerdict } from '../../machines/health.machine.js';
import { isCancelledError } from '../../src/errors/CancelledError.js';
import { ofType } from '../../src/events/EventBus.js';
import type { HealthChecked } from '../../src/events/RuntimeEvent.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { HealthChecker } from '../../src/observe/HealthChecker.js';
import type { HealthTarget } from '../../src/observe/healthChecks.js';
import type { MCPTeam, ServerStatus } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger, reach } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';

const up: ServerStatus = {
  state: 'ready',
  breaker: 'closed',
  available: true,
  optional: false,
  tools: 3,
  lastError: undefined,
};

/** A target whose answers the test sets: for the checker's own rules (no server involved). */
function target(servers: Record<string, ServerStatus>, tools = ['s__echo']): HealthTarget {
  return { name: 'stub', getMcpToolNames: () => tools, getServerStates: () => servers };
}

describe('health machine', () => {
  it('verdict: any fail is unhealthy, any warn degraded, else healthy', () => {
    expect(healthVerdict({ a: { status: 'pass' }, b: { status: 'pass' } })).toBe('healthy');
    expect(healthVerdict({ a: { status: 'warn' }, b: { status: 'pass' } })).toBe('degraded');
    expect(healthVerdict({ a: { status: 'warn' }, b: { status: 'fail' } })).toBe('unhealthy');
    expect(healthVerdict({})).toBe('healthy');
  });

  it('checks on START, again after each interval on the clock, and only on demand otherwise', async () => {
    const clock = new SimulatedClock();
    let runs = 0;
    const machine = healthMachine.provide({
      actors: {
        runChecks: fromPromise<HealthChecksOutput, void>(async () => {
          runs++;
          return { checks: { x: { status: runs === 2 ? ('warn' as const) : ('pass' as const) } } };
        }),
      },
    });
    const onDemand = createActor(machine, { clock, input: { intervalMs: 1_000 } }).start();
    onDemand.send({ type: 'CHECK' });
    await new Promise<void>((resolve) => onDemand.subscribe((s) => s.context.completed === 1 && resolve()));
    expect(onDemand.getSnapshot().value).toEqual({ healthy: 'resting' });
    clock.increment(10_000);
    expect(runs).toBe(1);
    onDemand.stop();
    runs = 0;

    const periodic = createActor(machine, { clock, input: { intervalMs: 1_000 } }).start();
    const completed = (n: number) =>
      new Promise<void>((resolve) => periodic.subscribe((s) => s.context.completed >= n && resolve()));
    periodic.send({ type: 'START' });
    await completed(1);
    expect(periodic.getSnapshot().value).toEqual({ healthy: 'waiting' });
    clock.increment(1_000);
    await completed(2);
    expect(periodic.getSnapshot().value).toEqual({ degraded: 'waiting' });
    expect(periodic.getSnapshot().context.failing).toEqual(['x']);
    periodic.send({ type: 'STOP' });
    expect(periodic.getSnapshot().status).toBe('done');
  });
});

describe('HealthChecker rules', () => {
  it('optional server down is degraded, required down or no tools is unhealthy, with detail', async () => {
    const optionalDown = { ...up, state: 'reconnecting' as const, available: false, optional: true };
    const h1 = new HealthChecker(target({ a: up, b: optionalDown }), { intervalMs: 0 });
    const degraded = await h1.checkHealth();
    expect(degraded.status).toBe('degraded');
    expect(degraded.checks.servers).toMatchObject({ status: 'warn', count: 1 });
    expect(degraded.checks.servers?.detail).toMatch(
      /optional servers unavailable: b \(reconnecting, breaker closed\)/,
    );
    expect(await h1.isHealthy()).toBe(false);

    const requiredDown = {
      ...up,
      state: 'failed' as const,
      available: false,
      lastError: { kind: 'connection' as const, code: 'ECONNREFUSED', message: 'x', retryable: true },
    };
    const h2 = new HealthChecker(target({ a: requiredDown }, []), { intervalMs: 0 });
    const unhealthy = await h2.checkHealth();
    expect(unhealthy.status).toBe('unhealthy');
    expect(unhealthy.checks.tools).toMatchObject({ status: 'fail', count: 0 });
    expect(unhealthy.checks.servers?.detail).toMatch(
      /required servers unavailable: a \(failed, breaker closed, last error connection\/ECONNREFUSED\)/,
    );
  });

  it('runs custom checks and the probe under a budget; a slow probe warns; stop() ends it', async () => {
    const clock = new SimulatedClock();
    let release: () => void = () => {};
    const health = new HealthChecker(target({ a: up }), {
      clock,
      intervalMs: 0,
      probeTimeoutMs: 1_000,
      slowProbeMs: 200,
      probe: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      checks: {
        disk: () => ({ status: 'pass', detail: 'plenty of space' }),
        queue: () => {
          throw new Error('queue unreachable');
        },
      },
    });
    const pending = health.checkHealth();
    await new Promise((r) => setImmediate(r));
    clock.increment(300);
    release();
    const report = await pending;
    expect(report.checks.execution).toMatchObject({ status: 'warn', durationMs: 300 });
    expect(report.checks.disk).toMatchObject({ status: 'pass', detail: 'plenty of space' });
    expect(report.checks.queue).toMatchObject({ status: 'fail', error: { kind: 'protocol' } });
    expect(report.status).toBe('unhealthy');
    health.stop();
    const error = await health.checkHealth().catch((e: unknown) => e);
    expect(isCancelledError(error)).toBe(true);
  });
});

describe('HealthChecker over a real team', () => {
  let team: MCPTeam | undefined;
  afterAll(async () => {
    await team?.cleanup();
  });

  it('healthy, degraded when an optional server dies, unhealthy when a required one does, then healthy again', async () => {
    const clock = new SimulatedClock();
    const fx = stdioFixture();
    team = await new MCPTeamBuilder('ops')
      .withLlm(new ScriptedChatModel([{ content: 'ok' }]))
      .withLogger(quietLogger)
      .withClock(clock)
      .withMcpServer(fx.command, fx.args, { name: 'alpha' })
      .withMcpServer(fx.command, fx.args, { name: 'beta', optional: true })
      .skipFailedServers(true)
      .build();
    const alpha = team.getServer('alpha')!;
    const beta = team.getServer('beta')!;
    // build() waits only for required servers: the optional beta joins when it is up.
    if (!team.getServerStates().beta?.tools) {
      await firstValueFrom(
        team.events$.pipe(
          ofType('team.server.joined'),
          filter((e) => e.server === 'beta'),
        ),
      );
    }
    let probeStarted: () => void = () => {};
    const health = new HealthChecker(team, {
      clock,
      intervalMs: 30_000,
      probeTimeoutMs: 5_000,
      probe: (signal) => {
        probeStarted();
        return alpha.callTool('echo', { text: 'health' }, { signal });
      },
    });
    const next = () => firstValueFrom(health.events$.pipe(ofType('health.checked')));

    let checked: Promise<HealthChecked> = next();
    health.start();
    const first = await checked;
    expect(first).toMatchObject({
      status: 'healthy',
      previous: 'unknown',
      target: 'ops',
      source: 'health:ops',
    });
    expect(first.checks.servers).toMatchObject({ status: 'pass', count: 2 });
    expect(first.checks.tools?.count).toBeGreaterThan(10);
    expect(first.checks.execution?.status).toBe('pass');

    checked = next();
    clock.increment(30_000);
    expect((await checked).status).toBe('healthy');

    process.kill(beta.pid!, 'SIGKILL');
    await reach(beta, 'reconnecting');
    const degraded = await health.checkHealth();
    expect(degraded.status).toBe('degraded');
    expect(degraded.checks.servers?.detail).toMatch(/optional servers unavailable: beta \(reconnecting/);

    process.kill(alpha.pid!, 'SIGKILL');
    await reach(alpha, 'reconnecting');
    const started = new Promise<void>((resolve) => {
      probeStarted = resolve;
    });
    const pending = health.checkHealth();
    await started;
    clock.increment(5_000); // the probe's budget runs out (and the reconnect backoffs elapse)
    const unhealthy = await pending;
    expect(unhealthy.status).toBe('unhealthy');
    expect(unhealthy.checks.servers?.status).toBe('fail');
    expect(unhealthy.checks.execution).toMatchObject({ status: 'fail', error: { kind: 'timeout' } });
    expect(health.status).toBe('unhealthy');

    await Promise.all([reach(alpha, 'ready'), reach(beta, 'ready')]);
    const recovered = await health.checkHealth();
    expect(recovered).toMatchObject({ status: 'healthy' });
    health.stop();
  });
});
