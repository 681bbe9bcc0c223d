import { Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { ErrorSummary, RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { MetricsCollector } from '../../src/observe/metrics.js';
import { quantile, SlidingWindow } from '../../src/observe/percentiles.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';

const timeout: ErrorSummary = { kind: 'timeout', code: 'TIMEOUT', message: 'slow', retryable: true };
const base = { at: 0, source: 'server:alpha', server: 'alpha', callId: 1, attempt: 1 };
const ok = (tool: string, durationMs: number): RuntimeEvent => ({
  ...base,
  type: 'call.succeeded',
  tool,
  durationMs,
  isError: false,
});

function fed(options: ConstructorParameters<typeof MetricsCollector>[0] = {}) {
  const events = new Subject<RuntimeEvent>();
  const metrics = new MetricsCollector({ clock: new SimulatedClock(), ...options });
  metrics.observe(events);
  const emit = (...list: RuntimeEvent[]) => {
    for (const e of list) events.next(e);
  };
  return { metrics, emit };
}

describe('percentiles', () => {
  it('nearest rank over a bounded sliding window', () => {
    const w = new SlidingWindow(4);
    for (const v of [100, 1, 2, 3, 4]) w.add(v);
    expect(w.size).toBe(4);
    expect([...w.sorted()]).toEqual([1, 2, 3, 4]);
    expect(quantile(w.sorted(), 0.5)).toBe(2);
    expect(quantile(w.sorted(), 0.99)).toBe(4);
    expect(quantile([], 0.5)).toBe(0);
    expect(() => new SlidingWindow(0)).toThrow(RangeError);
  });
});

describe('MetricsCollector: derived from events', () => {
  it('counts tool calls per server and tool: rates, errors by kind, retries, rejections, durations', () => {
    const { metrics, emit } = fed();
    emit(
      ok('echo', 10),
      ok('echo', 30),
      { ...base, type: 'call.succeeded', tool: 'flaky', durationMs: 5, isError: true },
      { ...base, type: 'call.failed', tool: 'echo', durationMs: 50, error: timeout },
      { ...base, type: 'call.retried', tool: 'echo', delayMs: 100, error: timeout },
      {
        ...base,
        type: 'call.rejected',
        tool: 'echo',
        error: { kind: 'circuitOpen', code: 'CIRCUIT_OPEN', message: 'open', retryable: true },
      },
    );
    const echo = metrics.getMetrics({ tool: 'echo' });
    expect(echo.series).toHaveLength(1);
    expect(echo.total).toMatchObject({
      tool: 'echo',
      count: 4,
      successes: 2,
      failures: 2,
      successRate: 0.5,
      failureRate: 0.5,
      retries: 1,
      rejected: 1,
      errors: { timeout: 1, circuitOpen: 1 },
    });
    expect(echo.total.durationMs).toMatchObject({
      mean: 30,
      p50: 30,
      p95: 50,
      max: 50,
      sum: 90,
      observed: 3,
    });
    const all = metrics.getMetrics();
    expect(all.total.count).toBe(5);
    expect(all.total.errors).toEqual({ timeout: 1, circuitOpen: 1, tool: 1 });
    expect(all.series.map((s) => `${s.operation}/${s.server}/${s.tool}`)).toEqual([
      'tool_call/alpha/echo',
      'tool_call/alpha/flaky',
    ]);
    expect(metrics.getMetrics({ operation: 'nothing' }).total).toMatchObject({ count: 0, successRate: 0 });
  });

  it('derives reconnects, breaker openings and the latest health verdict', () => {
    const { metrics, emit } = fed();
    const at = { at: 0, source: 'server:alpha' };
    emit(
      { ...at, type: 'connection.state', server: 'alpha', from: 'ready', to: 'reconnecting' },
      { ...at, type: 'connection.state', server: 'alpha', from: 'reconnecting', to: 'ready' },
      { ...at, type: 'connection.state', server: 'alpha', from: 'ready', to: 'reconnecting' },
      { ...at, type: 'breaker.transition', breaker: 'alpha', from: 'closed', to: 'open' },
      { ...at, type: 'breaker.transition', breaker: 'alpha', from: 'open', to: 'halfOpen' },
      {
        ...at,
        type: 'health.checked',
        target: 't',
        status: 'degraded',
        previous: 'healthy',
        checks: {},
        durationMs: 1,
      },
    );
    const report = metrics.getMetrics();
    expect(report.servers).toEqual({ alpha: { state: 'reconnecting', reconnects: 2 } });
    expect(report.breakers).toEqual({ alpha: { state: 'halfOpen', openings: 1 } });
    expect(report.health).toEqual({ target: 't', status: 'degraded', at: 0 });
  });

  it('keeps memory bounded: a window of recent durations, and at most maxSeries series', () => {
    const { metrics, emit } = fed({ windowSize: 3, maxSeries: 2 });
    emit(ok('a', 1000), ok('a', 1), ok('a', 2), ok('a', 3), ok('b', 5), ok('c', 7), ok('d', 9));
    const a = metrics.getMetrics({ tool: 'a' }).total;
    expect(a.durationMs).toMatchObject({ max: 3, p99: 3, mean: 1006 / 4, observed: 4 });
    expect(metrics.getMetrics().series.map((s) => s.tool)).toEqual(['_other', 'a', 'b']);
    expect(metrics.getMetrics({ tool: '_other' }).total.count).toBe(2);
  });

  it('recordExecution times work on the clock and emits operation.completed; failures rethrow typed', async () => {
    const clock = new SimulatedClock();
    const metrics = new MetricsCollector({ clock });
    const seen: RuntimeEvent[] = [];
    metrics.bus.events$.subscribe((e) => seen.push(e));
    const result = await metrics.recordExecution('team_execution', () => {
      clock.increment(120);
      return 'answer';
    });
    expect(result).toBe('answer');
    const failure = await metrics
      .recordExecution(
        'team_execution',
        async () => {
          clock.increment(80);
          throw new Error('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
        },
        { server: 'search' },
      )
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConnectionError);
    metrics.record({
      operation: 'team_execution',
      ok: false,
      durationMs: 10,
      error: new Error('Request timed out'),
    });
    expect(seen.map((e) => e.type)).toEqual([
      'operation.completed',
      'operation.completed',
      'operation.completed',
    ]);
    expect(seen[1]).toMatchObject({
      ok: false,
      durationMs: 80,
      labels: { server: 'search' },
      error: { kind: 'connection' },
    });
    const { total } = metrics.getMetrics({ operation: 'team_execution' });
    expect(total).toMatchObject({ count: 3, successes: 1, failures: 2 });
    expect(total.errors.connection).toBe(1);
  });

  it('metrics$ gives the current snapshot, then at most one per throttle window on the clock', () => {
    const clock = new SimulatedClock();
    const metrics = new MetricsCollector({ clock, throttleMs: 1_000 });
    const events = new Subject<RuntimeEvent>();
    metrics.observe(events);
    const counts: number[] = [];
    const sub = metrics.metrics$.subscribe((r) => counts.push(r.total.count));
    for (let i = 0; i < 5; i++) events.next(ok('echo', i));
    expect(counts).toEqual([0]);
    clock.increment(999);
    expect(counts).toEqual([0]);
    clock.increment(1);
    expect(counts).toEqual([0, 5]);
    clock.increment(5_000);
    expect(counts).toEqual([0, 5]);
    events.next(ok('echo', 1));
    clock.increment(1_000);
    expect(counts).toEqual([0, 5, 6]);
    sub.unsubscribe();
    metrics.close();
  });
});

describe('MetricsCollector over a real server', () => {
  const conns: ServerConnection[] = [];
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
  });

  it('counts a flaky tool, a timeout and successes from the connection events', async () => {
    const bus = new EventBus();
    const metrics = new MetricsCollector();
    metrics.observe(bus.events$);
    const fx = stdioFixture();
    const conn = new ServerConnection({
      config: { name: 'fx', transport: 'stdio', command: fx.command, args: fx.args },
      bus,
      logger: quietLogger,
    });
    conns.push(conn);
    await conn.start();
    for (let i = 0; i < 4; i++) await conn.callTool('flaky', { every: 2 });
    await conn.callTool('echo', { text: 'hi' });
    await conn.callTool('hang', {}, { timeout: 150 }).catch(() => undefined);
    const flaky = metrics.getMetrics({ server: 'fx', tool: 'flaky' }).total;
    expect(flaky).toMatchObject({ count: 4, successes: 2, failures: 2, errors: { tool: 2 } });
    expect(metrics.getMetrics({ tool: 'hang' }).total.errors).toEqual({ timeout: 1 });
    expect(metrics.getMetrics({ server: 'fx' }).total.count).toBe(6);
    expect(metrics.getMetrics().servers.fx?.state).toBe('ready');
  });
});
