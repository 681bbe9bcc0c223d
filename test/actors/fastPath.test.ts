// Where the call path takes a shortcut, the shortcut and the long way must end the same way.
import { SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { isOwnRequestTimeout } from '../../src/actors/callOutcome.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import type { AzcoreError } from '../../src/errors/AzcoreError.js';
import { CircuitOpenError, circuitOpenError, isCircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { classifyError } from '../../src/errors/classifyError.js';
import { isTimeoutError } from '../../src/errors/TimeoutError.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import type { Clock } from '../../src/resilience/Clock.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import { callEvents, doubleAndHang, quietLogger } from './connectionTestKit.js';

/** A call that should have failed resolved. */
function unexpected(): never {
  throw new Error('the call succeeded');
}

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function connection(
  extra: {
    clock?: Clock;
    bus?: EventBus;
    breaker?: ConstructorParameters<typeof ServerConnection>[0]['breaker'];
  } = {},
) {
  const mem = doubleAndHang();
  const conn = new ServerConnection({
    config: { name: 'mem', transport: 'stdio', command: 'in-memory' },
    transportFactory: mem.factory,
    logger: quietLogger,
    breaker: { strategy: { kind: 'consecutive', threshold: 1 } },
    ...extra,
  });
  open.push(conn);
  const events: RuntimeEvent[] = [];
  conn.events$.subscribe((e) => events.push(e));
  await conn.start();
  return { conn, events, cancelled: mem.cancelled };
}

/** What a caller, the breaker and the event stream learn from a failed call. */
function outcome(error: AzcoreError, conn: ServerConnection, events: RuntimeEvent[]) {
  const failed = events.find((e) => e.type === 'call.failed');
  return {
    class: error.constructor.name,
    kind: error.kind,
    code: error.code,
    step: isTimeoutError(error) ? error.step : undefined,
    timeoutMs: isTimeoutError(error) ? error.timeoutMs : undefined,
    retryable: error.retryable,
    server: error.server,
    message: error.message,
    breaker: conn.breaker.state,
    failedEvent: failed?.type === 'call.failed' ? failed.error : undefined,
    retried: events.filter((e) => e.type === 'call.retried').length,
  };
}

describe('the call path: shortcut and long way give the same outcome', () => {
  it('a budget that runs out: the SDK timer (no caller signal) and the Deadline signal give the same TimeoutError and breaker verdict', async () => {
    const fast = await connection();
    const slow = await connection();
    const fastSdk = vi.spyOn(fast.conn.session.client!, 'callTool');
    const slowSdk = vi.spyOn(slow.conn.session.client!, 'callTool');
    const fastError = await fast.conn
      .callTool('hang', {}, { timeout: 60 })
      .then(unexpected, (e: AzcoreError) => e);
    // A caller signal that never aborts keeps the Deadline's AbortController on the SDK call.
    const never = new AbortController().signal;
    const slowError = await slow.conn
      .callTool('hang', {}, { timeout: 60, signal: never })
      .then(unexpected, (e: AzcoreError) => e);
    // The shortcut hands the SDK no signal: its own timer, set to the budget, is the deadline.
    const fastOptions = fastSdk.mock.calls[0]?.[1];
    expect(Object.keys(fastOptions ?? {})).toEqual(['timeout']);
    expect(fastOptions?.timeout).toBeGreaterThan(50);
    expect(fastOptions?.timeout).toBeLessThanOrEqual(60);
    expect(slowSdk.mock.calls[0]?.[1]?.signal).toBeInstanceOf(AbortSignal);
    expect(outcome(fastError, fast.conn, fast.events)).toEqual(outcome(slowError, slow.conn, slow.events));
    expect(outcome(fastError, fast.conn, fast.events)).toMatchObject({
      class: 'TimeoutError',
      kind: 'timeout',
      code: 'TIMEOUT',
      step: 'hang',
      timeoutMs: 60,
      breaker: 'open',
    });
    // Both paths cancel the request on the server (notifications/cancelled).
    await vi.waitFor(() => expect(fast.cancelled).toEqual(['hang']));
    await vi.waitFor(() => expect(slow.cancelled).toEqual(['hang']));
  });

  it("the SDK's own timer counts as the budget running out, even if the clock is a millisecond short", () => {
    const clock = new SimulatedClock();
    const deadline = Deadline.after(60, { clock, step: 'hang', server: 'mem' });
    const ownTimer = new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', { timeout: 60 });
    const aborted = new SdkError(SdkErrorCode.RequestTimeout, 'AbortError: gone');
    expect(isOwnRequestTimeout(aborted, deadline)).toBe(false);
    expect(isOwnRequestTimeout(ownTimer, Deadline.after(Number.POSITIVE_INFINITY, { clock }))).toBe(false);
    clock.increment(59);
    expect(isOwnRequestTimeout(ownTimer, deadline)).toBe(true);
    deadline.expire();
    expect(classifyError(ownTimer, { server: 'mem', signal: deadline.signal, timeoutMs: 60 })).toMatchObject({
      kind: 'timeout',
      code: 'TIMEOUT',
      step: 'hang',
      timeoutMs: 60,
    });
  });

  it('an injected clock keeps the Deadline path: the same TimeoutError when the simulated budget runs out', async () => {
    const clock = new SimulatedClock();
    clock.set(Date.now());
    const sim = await connection({ clock });
    const wall = await connection();
    const pending = sim.conn.callTool('hang', {}, { timeout: 60 }).then(unexpected, (e: AzcoreError) => e);
    await vi.waitFor(() => expect(sim.events.some((e) => e.type === 'call.started')).toBe(true));
    clock.increment(60);
    const simError = await pending;
    const wallError = await wall.conn
      .callTool('hang', {}, { timeout: 60 })
      .then(unexpected, (e: AzcoreError) => e);
    expect(outcome(simError, sim.conn, sim.events)).toEqual(outcome(wallError, wall.conn, wall.events));
  });

  it('a rejection asked before anything else is the same CircuitOpenError with the same event as the long way', async () => {
    const first = await connection();
    const long = await connection();
    for (const { conn } of [first, long]) conn.breaker.isolate();
    const shortError = await first.conn.callTool('double', { n: 1 }).then(unexpected, (e: unknown) => e);
    // A caller signal (never aborted) makes the call build its Deadline before asking the breaker.
    const never = new AbortController().signal;
    const longError = await long.conn
      .callTool('double', { n: 1 }, { signal: never })
      .then(unexpected, (e: unknown) => e);
    const seen = (error: unknown, events: RuntimeEvent[]) => ({
      class: (error as Error).constructor.name,
      error: {
        ...(error as CircuitOpenError).toJSON(),
        breakerState: (error as CircuitOpenError).breakerState,
      },
      retryAt: (error as CircuitOpenError).retryAt,
      events: events.filter((e) => e.type.startsWith('call.')).map((e) => ({ ...e, at: 0, callId: 0 })),
    });
    expect(seen(shortError, first.events)).toEqual(seen(longError, long.events));
    expect(shortError).toBeInstanceOf(CircuitOpenError);
    expect(isCircuitOpenError(shortError)).toBe(true);
    expect(shortError).toMatchObject({
      kind: 'circuitOpen',
      code: 'CIRCUIT_OPEN',
      breakerState: 'isolated',
      retryAt: undefined,
      server: 'mem',
      retryable: false,
    });
    const rejected = first.events.filter((e) => e.type === 'call.rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ tool: 'double', attempt: 1, error: { kind: 'circuitOpen' } });
    expect(first.events.some((e) => e.type === 'call.started')).toBe(false);
  });

  it('an open breaker past its reset time admits one probe on either way, and the probe closes it', async () => {
    for (const signal of [undefined, new AbortController().signal]) {
      const { conn } = await connection();
      await conn.callTool('hang', {}, { timeout: 30 }).catch(() => undefined);
      expect(conn.breaker.state).toBe('open');
      conn.breaker.applyOpen(Date.now() - 60_000);
      const result = await conn.callTool('double', { n: 4 }, { signal });
      expect(result.content[0]).toEqual({ type: 'text', text: '8' });
      expect(conn.breaker.state).toBe('halfOpen');
    }
  });

  it('checks before the breaker keep their order: a cancelled caller or a spent deadline wins over an open breaker', async () => {
    const { conn } = await connection();
    conn.breaker.isolate();
    const aborted = new AbortController();
    aborted.abort();
    const cancelled = await conn.callTool('double', { n: 1 }, { signal: aborted.signal }).catch((e) => e);
    expect(cancelled).toMatchObject({ kind: 'cancelled' });
    const spent = await conn.callTool('double', { n: 1 }, { timeout: 0 }).catch((e) => e);
    expect(spent).toMatchObject({ kind: 'timeout', step: 'double' });
  });

  it('CircuitOpenError without a stack capture is otherwise the same error, and the limit is restored', () => {
    const limit = Error.stackTraceLimit;
    const plain = new CircuitOpenError('open', { breakerState: 'open', retryAt: 5, server: 's' });
    const cheap = circuitOpenError('open', { breakerState: 'open', retryAt: 5, server: 's' });
    expect(Error.stackTraceLimit).toBe(limit);
    expect(cheap).toBeInstanceOf(CircuitOpenError);
    expect(cheap).toBeInstanceOf(Error);
    expect({ ...cheap.toJSON(), name: cheap.name, state: cheap.breakerState, at: cheap.retryAt }).toEqual({
      ...plain.toJSON(),
      name: plain.name,
      state: plain.breakerState,
      at: plain.retryAt,
    });
    expect(cheap.stack).toBe(`CircuitOpenError: ${cheap.message}`);
  });

  it('a plain call (no signal) and the long way give the same result, call events and breaker state', async () => {
    const plain = await connection();
    const long = await connection();
    const plainSdk = vi.spyOn(plain.conn.session.client!, 'callTool');
    const never = new AbortController().signal;
    const results = [
      await plain.conn.callTool('double', { n: 21 }),
      await long.conn.callTool('double', { n: 21 }, { signal: never }),
    ];
    expect(results[0]).toEqual(results[1]);
    expect(results[0]?.content[0]).toEqual({ type: 'text', text: '42' });
    // The short way hands the SDK the call and its budget, nothing else.
    expect(plainSdk.mock.calls[0]?.[0]).toEqual({ name: 'double', arguments: { n: 21 } });
    expect(Object.keys(plainSdk.mock.calls[0]?.[1] ?? {})).toEqual(['timeout']);
    expect(callEvents(plain.events)).toEqual(callEvents(long.events));
    expect(callEvents(plain.events).map((e) => e.type)).toEqual(['call.started', 'call.succeeded']);
    expect(plain.conn.breaker.state).toBe(long.conn.breaker.state);
  });

  it('a first attempt that fails: the plain call and the long way judge, retry or give up the same way', async () => {
    const unavailable = () =>
      new SdkHttpError(SdkErrorCode.ClientHttpFailedToOpenStream, 'Service Unavailable (injected)', {
        status: 503,
        statusText: 'Service Unavailable',
      });
    const breaker = { strategy: { kind: 'consecutive' as const, threshold: 5 } };
    for (const idempotent of [true, undefined]) {
      const plain = await connection({ breaker });
      const long = await connection({ breaker });
      vi.spyOn(plain.conn.session.client!, 'callTool').mockRejectedValueOnce(unavailable());
      vi.spyOn(long.conn.session.client!, 'callTool').mockRejectedValueOnce(unavailable());
      const never = new AbortController().signal;
      const settle = (p: Promise<unknown>) =>
        p.then(
          (r) => ({ ok: r }),
          (e: AzcoreError) => ({
            error: { class: e.constructor.name, kind: e.kind, code: e.code, message: e.message },
          }),
        );
      const plainOutcome = await settle(plain.conn.callTool('double', { n: 2 }, { idempotent }));
      const longOutcome = await settle(long.conn.callTool('double', { n: 2 }, { idempotent, signal: never }));
      expect(plainOutcome).toEqual(longOutcome);
      expect(callEvents(plain.events)).toEqual(callEvents(long.events));
      expect(plain.conn.breaker.state).toBe(long.conn.breaker.state);
      const types = callEvents(plain.events).map((e) => e.type);
      if (idempotent) {
        expect(plainOutcome).toEqual({
          ok: expect.objectContaining({ content: [{ type: 'text', text: '4' }] }),
        });
        expect(types).toEqual([
          'call.started',
          'call.failed',
          'call.retried',
          'call.started',
          'call.succeeded',
        ]);
      } else {
        expect(plainOutcome).toMatchObject({ error: { kind: 'connection' } });
        expect(types).not.toContain('call.succeeded');
      }
    }
  });

  it('a spent or refused budget and a closing connection keep the long way', async () => {
    const { conn } = await connection();
    const sdk = vi.spyOn(conn.session.client!, 'callTool');
    await expect(conn.callTool('double', { n: 1 }, { timeout: 0 })).rejects.toMatchObject({
      kind: 'timeout',
    });
    await expect(conn.callTool('double', { n: 1 }, { timeout: Number.NaN })).rejects.toMatchObject({
      kind: 'configuration',
    });
    expect(sdk).not.toHaveBeenCalled();
    // Infinity is a valid budget the short way does not take: the long way serves it.
    const result = await conn.callTool('double', { n: 3 }, { timeout: Number.POSITIVE_INFINITY });
    expect(result.content[0]).toEqual({ type: 'text', text: '6' });
    const closing = conn.close();
    const afterClose = await conn.callTool('double', { n: 1 }).then(unexpected, (e: AzcoreError) => e);
    expect(afterClose).toMatchObject({ kind: 'connection', code: 'CLOSED' });
    expect(sdk).toHaveBeenCalledTimes(1);
    await closing;
  });

  it("a caller signal that is the deadline's own (as a team turn passes) is not combined with it, and ends the same way", async () => {
    // Each case: the same signal as the deadline's (no AbortSignal.any) vs an equal but distinct one (combined).
    const run = async (same: boolean, stop: (ctl: AbortController) => void, timeout: number) => {
      const c = await connection();
      const ctl = new AbortController();
      const deadline = Deadline.after(10_000, { signal: ctl.signal, step: 'turn' });
      const any = vi.spyOn(AbortSignal, 'any');
      const signal = same ? deadline.signal : AbortSignal.any([deadline.signal]);
      any.mockClear();
      const pending = c.conn
        .callTool('hang', {}, { deadline, signal, timeout })
        .then(unexpected, (e: AzcoreError) => e);
      const combined = any.mock.calls.length;
      any.mockRestore();
      stop(ctl);
      const error = await pending;
      // Run out of time, the request was on the server: it is cancelled there too.
      if (timeout < 1000) await vi.waitFor(() => expect(c.cancelled).toEqual(['hang']));
      deadline.dispose();
      return { combined, outcome: outcome(error, c.conn, c.events) };
    };
    const cancel = (ctl: AbortController) => ctl.abort();
    const wait = () => {};
    const [sameCancel, otherCancel] = [await run(true, cancel, 10_000), await run(false, cancel, 10_000)];
    expect(sameCancel.combined).toBe(0);
    expect(otherCancel.combined).toBe(1);
    expect(sameCancel.outcome).toEqual(otherCancel.outcome);
    expect(sameCancel.outcome).toMatchObject({ kind: 'cancelled' });
    // The call's own budget runs out (a deadline and a call budget ending together race, either way).
    const [sameTimeout, otherTimeout] = [await run(true, wait, 60), await run(false, wait, 60)];
    expect(sameTimeout.combined).toBe(0);
    expect(sameTimeout.outcome).toEqual(otherTimeout.outcome);
    expect(sameTimeout.outcome).toMatchObject({ class: 'TimeoutError', kind: 'timeout', step: 'hang' });
  });

  it('with nobody observing the bus, the call path hands it no event', async () => {
    const bus = new EventBus();
    const emit = vi.spyOn(bus, 'emit');
    const mem = doubleAndHang();
    const conn = new ServerConnection({
      config: { name: 'quiet', transport: 'stdio', command: 'in-memory' },
      transportFactory: mem.factory,
      logger: quietLogger,
      bus,
    });
    open.push(conn);
    await conn.start();
    emit.mockClear();
    await conn.callTool('double', { n: 2 });
    conn.breaker.isolate();
    await conn.callTool('double', { n: 2 }).catch(() => undefined);
    expect(emit).not.toHaveBeenCalled();
  });
});

/** A SimulatedClock that counts the timers armed on it. */
function countingClock() {
  const clock = new SimulatedClock();
  let armed = 0;
  const counting: Clock = {
    now: () => clock.now(),
    setTimeout: (fn, ms) => {
      armed++;
      return clock.setTimeout(fn, ms);
    },
    clearTimeout: (id) => clock.clearTimeout(id as number),
  };
  return { clock, counting, armed: () => armed };
}

describe('Deadline: lazy and eager give the same answers', () => {
  it('arms no timer and makes no signal until someone asks for the signal', () => {
    const { clock, counting, armed } = countingClock();
    const d = Deadline.after(100, { clock: counting, step: 'lazy' });
    expect(d.remaining()).toBe(100);
    d.throwIfExpired();
    d.dispose();
    expect(armed()).toBe(0);
    const asked = Deadline.after(100, { clock: counting, step: 'asked' });
    const signal = asked.signal;
    expect(armed()).toBe(1);
    clock.increment(100);
    expect(signal.aborted).toBe(true);
  });

  it('a signal asked for after the budget ran out is aborted with the same TimeoutError', () => {
    for (const renewals of [0, 1, 3]) {
      const eagerClock = new SimulatedClock();
      const lazyClock = new SimulatedClock();
      const never = new AbortController().signal;
      const eager = Deadline.after(100, { clock: eagerClock, step: 'job', maxTotalMs: 250, signal: never });
      const lazy = Deadline.after(100, { clock: lazyClock, step: 'job', maxTotalMs: 250 });
      for (let i = 0; i < renewals; i++) {
        eagerClock.increment(80);
        lazyClock.increment(80);
        eager.renew();
        lazy.renew();
      }
      expect(lazy.expiresAt).toBe(eager.expiresAt);
      eagerClock.increment(300);
      lazyClock.increment(300);
      expect(lazy.expired).toBe(eager.expired);
      const eagerReason = eager.signal.reason as AzcoreError;
      const lazyReason = lazy.signal.reason as AzcoreError;
      expect(lazy.signal.aborted).toBe(true);
      expect(lazyReason.message).toBe(eagerReason.message);
      expect(lazyReason).toMatchObject({ kind: 'timeout', step: 'job' });
      expect(() => lazy.throwIfExpired()).toThrow(lazyReason.message);
    }
  });

  it('expire() ends the budget at once with the step named, whether or not the signal was made', () => {
    const clock = new SimulatedClock();
    const lazy = Deadline.after(1_000, { clock, step: 'call', server: 's' });
    lazy.expire();
    expect(lazy.expired).toBe(true);
    expect(lazy.signal.reason).toMatchObject({
      kind: 'timeout',
      step: 'call',
      server: 's',
      timeoutMs: 1_000,
    });
    const made = Deadline.after(1_000, { clock, step: 'call' });
    const signal = made.signal;
    made.expire();
    expect(signal.reason).toMatchObject({ kind: 'timeout', step: 'call' });
  });

  it('a disposed deadline does not abort later, as before', () => {
    const clock = new SimulatedClock();
    const d = Deadline.after(100, { clock });
    d.dispose();
    clock.increment(500);
    expect(d.signal.aborted).toBe(false);
  });
});
