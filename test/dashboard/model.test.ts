import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { circuitBreakerMachine } from '../../machines/index.js';
import { CallSeries } from '../../src/dashboard/callSeries.js';
import { DashboardModel, type DashboardTeam } from '../../src/dashboard/DashboardModel.js';
import { DashboardInspection } from '../../src/dashboard/inspection.js';
import type { DashboardMessage } from '../../src/dashboard/types.js';
import { Redactor } from '../../src/errors/redact.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import type { ServerStatus } from '../../src/team/MCPTeam.js';

const base = { at: 1_000, source: 'server:files', server: 'files', tool: 'read', callId: 1, attempt: 1 };

describe('CallSeries', () => {
  it('folds the calls that ended in one interval into rates and latency percentiles', () => {
    const series = new CallSeries(2_000, 2);
    for (const ms of [10, 20, 30, 40])
      series.add({ ...base, type: 'call.succeeded', durationMs: ms, isError: false });
    series.add({ ...base, type: 'call.succeeded', durationMs: 50, isError: true });
    series.add({
      ...base,
      type: 'call.failed',
      durationMs: 1_000,
      error: { kind: 'timeout', code: 'T', message: 'm', retryable: true },
    });
    series.add({
      ...base,
      type: 'call.rejected',
      error: { kind: 'circuitOpen', code: 'CIRCUIT_OPEN', message: 'm', retryable: true },
    });
    series.add({ ...base, type: 'call.started' });
    const sample = series.close(5_000);
    expect(sample).toEqual({
      at: 5_000,
      intervalMs: 2_000,
      calls: 7,
      errors: 3,
      callRate: 3.5,
      errorRate: 3 / 7,
      p50: 30,
      p95: 1_000,
      p99: 1_000,
    });
    expect(series.close(7_000)).toMatchObject({ calls: 0, errorRate: 0, p50: null, p99: null });
    series.close(9_000);
    expect(series.samples().map((s) => s.at)).toEqual([7_000, 9_000]);
  });
});

function fakeTeam() {
  const events = new Subject<RuntimeEvent>();
  const states: Record<string, ServerStatus> = {
    files: {
      state: 'ready',
      breaker: 'closed',
      available: true,
      optional: false,
      tools: 2,
      lastError: undefined,
    },
  };
  let tools: { name: string }[] | undefined = [{ name: 'read' }, { name: 'write' }];
  const team: DashboardTeam = {
    name: 'ops',
    state: 'ready',
    events$: events.asObservable(),
    getServerStates: () => structuredClone(states),
    getMcpToolNames: () => (tools ?? []).map((t) => `files__${t.name}`),
    getServer: (name) => (name === 'files' ? { cachedTools: tools } : undefined),
  };
  return {
    team,
    events,
    states,
    setTools: (next: typeof tools) => {
      tools = next;
    },
  };
}

describe('DashboardModel', () => {
  it('keeps one view per server in step with the events, and publishes every change', () => {
    const { team, events, states, setTools } = fakeTeam();
    const clock = new SimulatedClock();
    const model = new DashboardModel(team, { clock, maxEvents: 2, sampleIntervalMs: 1_000 });
    const messages: DashboardMessage[] = [];
    model.messages$.subscribe((m) => messages.push(m));
    expect(model.snapshot().servers).toEqual([
      expect.objectContaining({
        name: 'files',
        state: 'ready',
        breaker: 'closed',
        tools: ['read', 'write'],
        offered: ['read', 'write'],
      }),
    ]);

    const reason = { kind: 'connection', code: 'ECONNREFUSED', message: 'refused', retryable: true } as const;
    Object.assign(states.files!, { state: 'reconnecting', available: false, lastError: reason });
    setTools(undefined); // the connection dropped its tool cache: the card keeps the last known list
    events.next({
      type: 'connection.state',
      at: 1,
      source: 'server:files',
      server: 'files',
      from: 'ready',
      to: 'reconnecting',
      reason,
    });
    Object.assign(states.files!, { breaker: 'open' });
    events.next({
      type: 'breaker.transition',
      at: 2,
      source: 'breaker:files',
      breaker: 'files',
      from: 'closed',
      to: 'open',
    });
    events.next({
      ...base,
      type: 'call.rejected',
      error: { ...reason, kind: 'circuitOpen', code: 'CIRCUIT_OPEN' },
    });
    events.next({
      type: 'team.state',
      at: 3,
      source: 'team:ops',
      team: 'ops',
      from: 'ready',
      to: 'degraded',
    });

    const servers = messages.filter((m) => m.type === 'server').map((m) => m.data);
    expect(servers.map((s) => [s.state, s.breaker])).toEqual([
      ['reconnecting', 'closed'],
      ['reconnecting', 'open'],
    ]);
    // The last known list stays on the card; what is offered is what the health check counts: none.
    expect(servers[1]).toMatchObject({
      tools: ['read', 'write'],
      offered: [],
      lastError: reason,
      available: false,
    });
    expect(messages.filter((m) => m.type === 'team').map((m) => m.data)).toEqual([
      { name: 'ops', state: 'degraded' },
    ]);
    expect(model.snapshot().events.map((e) => e.type)).toEqual(['call.rejected', 'team.state']);
    expect(model.snapshot().team.state).toBe('degraded');

    clock.increment(1_000);
    const sample = messages.find((m) => m.type === 'sample');
    expect(sample?.data).toMatchObject({ calls: 1, errors: 1, errorRate: 1 });
    const stats = messages.find((m) => m.type === 'stats');
    expect(stats?.data).toEqual({
      files: {
        calls: 1,
        failures: 1,
        rejected: 1,
        retries: 0,
        successRate: 0,
        p95: null,
        reconnects: 1,
        breakerOpenings: 1,
      },
    });
    expect(model.snapshot().stats).toEqual(stats?.data);
    model.close();
    clock.increment(5_000);
    expect(messages.filter((m) => m.type === 'sample')).toHaveLength(1);
  });

  it('shows health verdicts from its source, logs only changes, and asks for a check when a server changes', async () => {
    const { team, events } = fakeTeam();
    const health = new Subject<RuntimeEvent>();
    let asked = 0;
    const model = new DashboardModel(team, {
      clock: new SimulatedClock(),
      health: {
        events$: health,
        checkHealth: async () => {
          asked++;
        },
      },
    });
    expect(model.snapshot().health.status).toBe('unknown');
    const checked = {
      type: 'health.checked',
      at: 5,
      source: 'health:ops',
      target: 'ops',
      durationMs: 1,
      checks: { servers: { status: 'fail', detail: 'files is down' } },
    } as const;
    health.next({ ...checked, status: 'unhealthy', previous: 'unknown' });
    health.next({ ...checked, status: 'unhealthy', previous: 'unhealthy' });
    expect(model.snapshot().health).toEqual({ status: 'unhealthy', at: 5, checks: checked.checks });
    expect(model.snapshot().events.filter((e) => e.type === 'health.checked')).toHaveLength(1);
    events.next({
      type: 'connection.state',
      at: 6,
      source: 'server:files',
      server: 'files',
      from: 'ready',
      to: 'closed',
    });
    expect(asked).toBe(1);
    expect(model.snapshot().diagrams.connection).toMatch(/^stateDiagram-v2\n/);
    expect(model.snapshot().diagrams.breaker).toContain('closed --> open');
    model.close();
  });

  it('counts tools where health counts them, and redraws a card when its tool list comes in after the state change', async () => {
    const { team, events, states, setTools } = fakeTeam();
    setTools(undefined);
    Object.assign(states.files!, { state: 'reconnecting', available: false, tools: 0 });
    let listed: () => void = () => {};
    const server = {
      get cachedTools() {
        return team.getMcpToolNames().length > 0 ? [{ name: 'read' }, { name: 'write' }] : undefined;
      },
      listTools: () =>
        new Promise<void>((resolve) => {
          listed = () => {
            setTools([{ name: 'read' }, { name: 'write' }]);
            resolve();
          };
        }),
    };
    team.getServer = (name) => (name === 'files' ? server : undefined);
    let asked = 0;
    const model = new DashboardModel(team, {
      clock: new SimulatedClock(),
      health: { events$: new Subject<RuntimeEvent>(), checkHealth: async () => void asked++ },
    });
    const views: DashboardMessage[] = [];
    model.messages$.subscribe((m) => m.type === 'server' && views.push(m));
    Object.assign(states.files!, { state: 'ready', available: true });
    events.next({
      type: 'connection.state',
      at: 1,
      source: 'server:files',
      server: 'files',
      from: 'reconnecting',
      to: 'ready',
    });
    expect(views.at(-1)?.data).toMatchObject({ state: 'ready', tools: [], offered: [] });
    listed();
    await new Promise((resolve) => setImmediate(resolve));
    expect(views.at(-1)?.data).toMatchObject({
      state: 'ready',
      tools: ['read', 'write'],
      offered: ['read', 'write'],
    });
    expect(asked).toBe(2); // on the state change, and once the tools were in
    model.close();
  });

  it('asks for one more health check when a server changes while a check runs', async () => {
    const { team, events } = fakeTeam();
    const finishers: (() => void)[] = [];
    const model = new DashboardModel(team, {
      clock: new SimulatedClock(),
      health: {
        events$: new Subject<RuntimeEvent>(),
        checkHealth: () => new Promise<void>((resolve) => finishers.push(resolve)),
      },
    });
    const change = (at: number) =>
      events.next({
        type: 'breaker.transition',
        at,
        source: 'breaker:files',
        breaker: 'files',
        from: 'closed',
        to: 'open',
      });
    change(1);
    change(2);
    change(3);
    expect(finishers).toHaveLength(1);
    finishers[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(finishers).toHaveLength(2);
    finishers[1]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(finishers).toHaveLength(2);
    model.close();
  });
});

describe('DashboardInspection', () => {
  it('follows an actor system from the outside: state values as they change, received events redacted and short', () => {
    const breaker = createActor(circuitBreakerMachine, { input: {}, systemId: 'breaker:files' }).start();
    const clock = new SimulatedClock();
    const inspection = new DashboardInspection(breaker, 'breaker:files', {
      clock,
      redactor: new Redactor(['hunter2-secret']),
      maxEvents: 2,
    });
    const messages: unknown[] = [];
    inspection.messages$.subscribe((m) => messages.push(m));
    expect(inspection.view().actors).toEqual([{ id: 'breaker:files', machine: 'breaker', value: 'closed' }]);
    breaker.send({ type: 'ISOLATE' });
    breaker.send({
      type: 'RESET',
      note: 'token hunter2-secret',
      logic: { huge: 'x'.repeat(1_000) },
    } as never);
    breaker.send({ type: 'ISOLATE' });
    expect(messages).toEqual([
      { actor: 'breaker:files', machine: 'breaker', event: { at: 0, type: 'ISOLATE' } },
      { actor: 'breaker:files', machine: 'breaker', value: 'isolated' },
      {
        actor: 'breaker:files',
        machine: 'breaker',
        event: { at: 0, type: 'RESET', detail: '{"note":"token [redacted]","logic":"(actor logic)"}' },
      },
      { actor: 'breaker:files', machine: 'breaker', value: 'closed' },
      { actor: 'breaker:files', machine: 'breaker', event: { at: 0, type: 'ISOLATE' } },
      { actor: 'breaker:files', machine: 'breaker', value: 'isolated' },
    ]);
    const view = inspection.view();
    expect(view.events['breaker:files']?.map((e) => e.type)).toEqual(['RESET', 'ISOLATE']);
    expect(view.diagrams.connection).toContain('state connected_keepalive {');
    inspection.close();
    breaker.send({ type: 'RESET' });
    expect(messages).toHaveLength(6);
    breaker.stop();
  });
});
