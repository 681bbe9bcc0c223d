// A call under a team turn's Deadline takes the short way when its own budget is the shorter one:
// the turn's signal goes to the SDK as is, no per-call Deadline is built unless the call fails.
// Each case runs the same call the long way too (a distinct caller signal forces it) and compares.
import { SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import type { AzcoreError } from '../../src/errors/AzcoreError.js';
import { isTimeoutError } from '../../src/errors/TimeoutError.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import { callEvents, doubleAndHang, quietLogger } from './connectionTestKit.js';

const open: ServerConnection[] = [];
const turns: Deadline[] = [];
afterEach(async () => {
  for (const t of turns.splice(0)) t.dispose();
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function connection(breakerThreshold = 1) {
  const { factory, cancelled } = doubleAndHang();
  const conn = new ServerConnection({
    config: { name: 'mem', transport: 'stdio', command: 'in-memory' },
    transportFactory: factory,
    logger: quietLogger,
    breaker: { strategy: { kind: 'consecutive', threshold: breakerThreshold } },
  });
  open.push(conn);
  const events: RuntimeEvent[] = [];
  conn.events$.subscribe((e) => events.push(e));
  await conn.start();
  const sdk = vi.spyOn(conn.session.client!, 'callTool');
  return { conn, events, cancelled, sdk };
}

/** A team turn: a Deadline under the caller's signal, its own signal handed to every call (as agentLoop does). */
function turn(ms: number) {
  const caller = new AbortController();
  const deadline = Deadline.after(ms, { signal: caller.signal, step: 'turn' });
  turns.push(deadline);
  return { caller, deadline };
}

function settle(p: Promise<unknown>) {
  return p.then(
    (ok) => ({ ok }),
    (e: AzcoreError) => ({
      error: {
        class: e.constructor.name,
        kind: e.kind,
        code: e.code,
        message: e.message,
        retryable: e.retryable,
        step: isTimeoutError(e) ? e.step : undefined,
        timeoutMs: isTimeoutError(e) ? e.timeoutMs : undefined,
      },
    }),
  );
}

describe('a call under a turn Deadline', () => {
  it('succeeds the short way: the SDK gets the turn signal and the call budget, and the same events as the long way', async () => {
    const short = await connection();
    const long = await connection();
    // The default call budget (60 s) is the shorter one.
    const t = turn(120_000);
    const never = new AbortController().signal;
    const a = await short.conn.callTool(
      'double',
      { n: 21 },
      { deadline: t.deadline, signal: t.deadline.signal },
    );
    const b = await long.conn.callTool('double', { n: 21 }, { deadline: t.deadline, signal: never });
    expect(a).toEqual(b);
    expect(a.content[0]).toEqual({ type: 'text', text: '42' });
    const options = short.sdk.mock.calls[0]?.[1];
    expect(options?.signal).toBe(t.deadline.signal);
    expect(options?.timeout).toBe(60_000);
    expect(Object.keys(options ?? {})).toEqual(['signal', 'timeout']);
    // The long way hands the SDK a signal of its own per call.
    expect(long.sdk.mock.calls[0]?.[1]?.signal).not.toBe(t.deadline.signal);
    expect(callEvents(short.events)).toEqual(callEvents(long.events));
  });

  it('the call budget runs out: the same TimeoutError naming the tool, breaker verdict and cancellation', async () => {
    const run = async (same: boolean) => {
      const c = await connection();
      const t = turn(10_000);
      const signal = same ? t.deadline.signal : AbortSignal.any([t.deadline.signal]);
      const outcome = await settle(
        c.conn.callTool('hang', {}, { deadline: t.deadline, signal, timeout: 60 }),
      );
      await vi.waitFor(() => expect(c.cancelled).toEqual(['hang']));
      return { outcome, events: callEvents(c.events), breaker: c.conn.breaker.state, sdk: c.sdk };
    };
    const short = await run(true);
    const long = await run(false);
    expect(short.sdk.mock.calls[0]?.[1]).toEqual({ signal: expect.any(AbortSignal), timeout: 60 });
    expect(short.outcome).toEqual(long.outcome);
    expect(short.events).toEqual(long.events);
    expect(short.breaker).toBe(long.breaker);
    expect(short.outcome).toMatchObject({
      error: { class: 'TimeoutError', kind: 'timeout', code: 'TIMEOUT', step: 'hang', timeoutMs: 60 },
    });
  });

  it('the turn is cancelled mid-call: the same CancelledError, events and breaker state', async () => {
    const run = async (same: boolean) => {
      const c = await connection();
      const t = turn(10_000);
      const signal = same ? t.deadline.signal : AbortSignal.any([t.deadline.signal]);
      const pending = settle(c.conn.callTool('hang', {}, { deadline: t.deadline, signal, timeout: 5_000 }));
      await vi.waitFor(() => expect(c.events.some((e) => e.type === 'call.started')).toBe(true));
      t.caller.abort();
      const outcome = await pending;
      return { outcome, events: callEvents(c.events), breaker: c.conn.breaker.state };
    };
    const long = await run(false);
    const short = await run(true);
    expect(short.outcome).toEqual(long.outcome);
    expect(short.events).toEqual(long.events);
    expect(short.breaker).toBe(long.breaker);
    expect(short.outcome).toMatchObject({ error: { kind: 'cancelled' } });
  });

  it('a first attempt that fails is judged and retried the same way', async () => {
    const unavailable = () =>
      new SdkHttpError(SdkErrorCode.ClientHttpFailedToOpenStream, 'Service Unavailable (injected)', {
        status: 503,
        statusText: 'Service Unavailable',
      });
    for (const idempotent of [true, undefined]) {
      const short = await connection(5);
      const long = await connection(5);
      short.sdk.mockRejectedValueOnce(unavailable());
      long.sdk.mockRejectedValueOnce(unavailable());
      const t = turn(10_000);
      const a = await settle(
        short.conn.callTool(
          'double',
          { n: 2 },
          { idempotent, deadline: t.deadline, signal: t.deadline.signal },
        ),
      );
      const b = await settle(
        long.conn.callTool(
          'double',
          { n: 2 },
          { idempotent, deadline: t.deadline, signal: new AbortController().signal },
        ),
      );
      expect(a).toEqual(b);
      expect(callEvents(short.events)).toEqual(callEvents(long.events));
      expect(short.conn.breaker.state).toBe(long.conn.breaker.state);
      if (idempotent) expect(a).toMatchObject({ ok: { content: [{ type: 'text', text: '4' }] } });
      else expect(a).toMatchObject({ error: { kind: 'connection' } });
    }
  });

  it('a slow first failure, then a retry that runs out of the call budget: the same TimeoutError', async () => {
    // The first attempt fails after 150 ms (a 503), the retry hangs: the budget (400 ms) counts from
    // the call's start on both ways, so the retry ends at the budget with the step named (not at the
    // SDK's backstop, budget + 50 ms from the retry's start, with a REQUEST_TIMEOUT).
    const slow503 = () =>
      new Promise<never>((_resolve, reject) =>
        setTimeout(
          () =>
            reject(
              new SdkHttpError(SdkErrorCode.ClientHttpFailedToOpenStream, 'Service Unavailable (injected)', {
                status: 503,
                statusText: 'Service Unavailable',
              }),
            ),
          150,
        ),
      );
    const run = async (same: boolean) => {
      const c = await connection(9);
      c.sdk.mockImplementationOnce(slow503);
      const t = turn(10_000);
      const signal = same ? t.deadline.signal : AbortSignal.any([t.deadline.signal]);
      const outcome = await settle(
        c.conn.callTool('hang', {}, { deadline: t.deadline, signal, timeout: 400, idempotent: true }),
      );
      return { outcome, events: callEvents(c.events) };
    };
    const short = await run(true);
    const long = await run(false);
    expect(short.outcome).toEqual(long.outcome);
    expect(short.events).toEqual(long.events);
    expect(short.outcome).toMatchObject({
      error: { class: 'TimeoutError', code: 'TIMEOUT', step: 'hang', timeoutMs: 400 },
    });
    expect(short.events.map((e) => e.type)).toEqual([
      'call.started',
      'call.failed',
      'call.retried',
      'call.started',
      'call.failed',
    ]);
  });

  it('an open breaker rejects the same way, before anything is sent', async () => {
    const short = await connection();
    const long = await connection();
    for (const c of [short, long]) c.conn.breaker.isolate();
    const t = turn(10_000);
    const a = await settle(
      short.conn.callTool('double', { n: 1 }, { deadline: t.deadline, signal: t.deadline.signal }),
    );
    const b = await settle(
      long.conn.callTool('double', { n: 1 }, { deadline: t.deadline, signal: new AbortController().signal }),
    );
    expect(a).toEqual(b);
    expect(a).toMatchObject({ error: { kind: 'circuitOpen', code: 'CIRCUIT_OPEN' } });
    expect(callEvents(short.events)).toEqual(callEvents(long.events));
    expect(short.sdk).not.toHaveBeenCalled();
  });

  it('keeps the long way when the turn has less time left than the call budget, or is spent or cancelled', async () => {
    const c = await connection();
    const tight = turn(5_000);
    await c.conn.callTool('double', { n: 1 }, { deadline: tight.deadline, signal: tight.deadline.signal });
    // The turn bounds the call: its Deadline (a signal of its own) decides, as before.
    expect(c.sdk.mock.calls[0]?.[1]?.signal).not.toBe(tight.deadline.signal);
    const cancelled = turn(10_000);
    cancelled.caller.abort();
    const outcome = await settle(
      c.conn.callTool(
        'double',
        { n: 1 },
        { deadline: cancelled.deadline, signal: cancelled.deadline.signal },
      ),
    );
    expect(outcome).toMatchObject({ error: { kind: 'cancelled' } });
    expect(c.sdk).toHaveBeenCalledTimes(1);
  });
});
