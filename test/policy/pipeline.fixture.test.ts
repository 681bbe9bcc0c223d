import { firstValueFrom, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { EventBus, ofType } from '../../src/events/EventBus.js';
import type { RuntimeEvent, RuntimeEventType } from '../../src/events/RuntimeEvent.js';
import { breaker } from '../../src/policy/breaker.js';
import { fallback } from '../../src/policy/fallback.js';
import { retry } from '../../src/policy/retry.js';
import { run } from '../../src/policy/run.js';
import { staticValue } from '../../src/policy/staticValue.js';
import { timeout } from '../../src/policy/timeout.js';
import { wrap } from '../../src/policy/wrap.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

// One real stdio fixture server; the policies run on a SimulatedClock moved by the test when an
// event says the pipeline reached the point to move it (a call started, a retry was scheduled).
let conn: ServerConnection;
const text = (r: { content: unknown[] }) => (r.content[0] as { text?: string } | undefined)?.text;
const next = <T extends RuntimeEventType>(events$: Observable<RuntimeEvent>, type: T) =>
  firstValueFrom(events$.pipe(ofType(type)));

beforeAll(async () => {
  conn = new ServerConnection({
    config: { name: 'fx', transport: 'stdio', ...stdioFixture(), connectTimeoutMs: 5_000 },
    logger: quietLogger,
  });
  await conn.start();
});
afterAll(async () => {
  await conn.close();
  await stopAllFixtures();
});

describe('wrap(fallback, retry, breaker, timeout) over a real MCP server', () => {
  it('hanging calls time out per attempt, are retried, open the breaker, and the fallback answers', async () => {
    const clock = new SimulatedClock();
    const bus = new EventBus();
    const seen: RuntimeEvent[] = [];
    const sub = bus.events$.subscribe((e) => seen.push(e));
    const fx = new CircuitBreaker({
      id: 'fx',
      strategy: { kind: 'consecutive', threshold: 2 },
      resetTimeoutMs: 60_000,
      clock,
      bus,
    });
    const policy = wrap(
      fallback(staticValue('served from the static fallback')),
      retry({ maxAttempts: 3, backoff: { strategy: 'constant', baseMs: 1_000 } }),
      breaker(fx),
      timeout(500),
    );

    let started = next(conn.events$, 'call.started');
    const pending = run(policy, (ctx) => conn.callTool('hang', {}, { signal: ctx.signal }), {
      clock,
      events: bus,
      source: 'fx.hang',
    });
    for (let attempt = 1; attempt <= 2; attempt++) {
      await started;
      const retried = next(bus.events$, 'call.retried');
      clock.increment(500); // the attempt's budget runs out: its signal cancels the MCP request
      expect(await retried).toMatchObject({ attempt, delayMs: 1_000, error: { kind: 'timeout' } });
      started = next(conn.events$, 'call.started');
      clock.increment(1_000); // the wait before the next attempt
    }
    const outcome = await pending;

    expect(outcome).toMatchObject({
      status: 'degraded',
      source: 'static',
      value: 'served from the static fallback',
      error: { kind: 'circuitOpen' },
    });
    expect(outcome.status === 'degraded' && outcome.reasons).toEqual([
      'fx.hang failed: timeout TIMEOUT',
      'fx.hang failed (attempt 2): timeout TIMEOUT',
      'fx.hang failed (attempt 3): circuitOpen CIRCUIT_OPEN',
    ]);
    expect(outcome.attempts.map((a) => [a.source, a.attempt, a.ok, a.durationMs])).toEqual([
      ['fx.hang', 1, false, 500],
      ['fx.hang', 2, false, 500],
      ['fx.hang', 3, false, 0],
      ['static', undefined, true, 0],
    ]);
    expect(fx.state).toBe('open');
    expect(seen.filter((e) => e.type === 'breaker.transition')).toMatchObject([
      { from: 'closed', to: 'open' },
    ]);
    expect(seen.filter((e) => e.type === 'call.retried')).toHaveLength(2);
    // JSON-safe: the errors serialize through toJSON.
    expect(JSON.parse(JSON.stringify(outcome))).toMatchObject({ error: { kind: 'circuitOpen' } });
    // The hanging requests were cancelled, not abandoned: the server still answers.
    expect(text(await conn.callTool('echo', { text: 'still fine' }))).toBe('still fine');
    sub.unsubscribe();
    fx.stop();
  });

  it('a healthy call is a success with one attempt, the breaker stays closed', async () => {
    const clock = new SimulatedClock();
    const fx = new CircuitBreaker({ id: 'fx-ok', clock });
    const policy = wrap(fallback(staticValue('unused')), retry(), breaker(fx), timeout(5_000));
    const outcome = await run(
      policy,
      (ctx) => conn.callTool('echo', { text: 'hello' }, { signal: ctx.signal }),
      {
        clock,
      },
    );
    expect(outcome.status).toBe('success');
    expect(outcome.status === 'success' && text(outcome.value as { content: unknown[] })).toBe('hello');
    expect(outcome.attempts).toMatchObject([{ source: 'primary', ok: true, attempt: 1 }]);
    expect(fx.state).toBe('closed');
    fx.stop();
  });
});
