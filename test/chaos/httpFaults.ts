import { filter, firstValueFrom } from 'rxjs';
import { expect } from 'vitest';
import type { Cell } from './cell.js';
import { type FaultSpec, textOf } from './faultSpec.js';

// Faults that exist only where there is HTTP: status codes and sessions.

const NO_HTTP = 'no HTTP layer on stdio: no status codes, no sessions';

async function authFault(cell: Cell, status: 401 | 403): Promise<void> {
  const conn = cell.connect(await cell.server());
  const events = cell.events(conn);
  expect(await cell.start(conn)).toBeUndefined();
  await cell.fixture?.admin('status', { code: status });
  const rejected = await cell.call(conn, 'echo', { text: 'x' });
  expect(rejected.ok ? 'resolved' : rejected.error).toMatchObject({ kind: 'auth', code: `HTTP_${status}` });
  await cell.reach(conn, 'authFailed');
  // The same credentials are not tried again: the next call fails at once, nothing is retried.
  const again = await cell.call(conn, 'echo', { text: 'x' });
  expect(again.ok ? 'resolved' : again.error.kind).toBe('auth');
  expect(events.filter((e) => e.type === 'call.retried')).toHaveLength(0);
  // Credentials fixed: an explicit reconnect recovers.
  await cell.fixture?.admin('reset');
  conn.reconnect();
  await cell.reach(conn, 'ready');
  const fixed = await cell.call(conn, 'echo', { text: 'fixed' });
  expect(fixed.ok && textOf(fixed.value)).toBe('fixed');
  cell.note(`HTTP ${status} mid-run: authFailed without retries; reconnect() after the fix recovers`);
}

export const unauthorized: FaultSpec = {
  id: '401',
  label: '401 unauthorized',
  notApplicable: { stdio: NO_HTTP },

  run: (cell) => authFault(cell, 401),
};

export const forbidden: FaultSpec = {
  id: '403',
  label: '403 forbidden',
  notApplicable: { stdio: NO_HTTP },

  run: (cell) => authFault(cell, 403),
};

export const sessionExpired: FaultSpec = {
  id: '404',
  notIn2026: 'the 2026-07-28 protocol has no sessions, so nothing can expire',
  label: '404 session expired (re-initialize)',
  notApplicable: { stdio: NO_HTTP },

  async run(cell) {
    const conn = cell.connect(await cell.server());
    const events = cell.events(conn);
    expect(await cell.start(conn)).toBeUndefined();
    const noticed = cell.transport === 'sse' ? cell.reach(conn, 'reconnecting') : undefined;
    const expired = (await cell.fixture?.admin('expire-sessions')) as { expired: number };
    expect(expired.expired).toBeGreaterThanOrEqual(1);
    // Legacy SSE: the session lives in the event stream, so an expired session closes the stream.
    // Waiting for the client to notice keeps this step deterministic; the racing case is below.
    await noticed;
    const next = await cell.call(conn, 'echo', { text: 'again' });
    expect(next.ok && textOf(next.value)).toBe('again');
    await cell.reach(conn, 'ready');
    cell.note(`expired session: the next call succeeded on a new session (${cell.transport})`);
    if (cell.transport !== 'sse') {
      expect(events.filter((e) => e.type === 'call.failed')[0]).toMatchObject({
        error: { code: 'SESSION_EXPIRED' },
      });
      return;
    }
    // A POST answered 404 (unknown sessionId) while the stream is still open must also re-initialize.
    await cell.fixture?.admin('status', { code: 404 });
    // Once the 404 has been seen, the server knows sessions again (the re-initialize must work).
    let reset: Promise<unknown> | undefined;
    const sub = conn.events$.subscribe((e) => {
      if (e.type === 'call.failed') reset ??= cell.fixture?.admin('reset');
    });
    try {
      const after404 = await cell.call(conn, 'echo', { text: 'after 404' });
      expect(after404.ok ? textOf(after404.value) : after404.error).toBe('after 404');
    } finally {
      sub.unsubscribe();
      await reset;
    }
  },
};

export const serverError: FaultSpec = {
  id: '500',
  label: '500 internal server error',
  notApplicable: { stdio: NO_HTTP },

  async run(cell) {
    const conn = cell.connect(await cell.server(), {
      breaker: { strategy: { kind: 'consecutive', threshold: 2 }, resetTimeoutMs: 200, successThreshold: 1 },
    });
    expect(await cell.start(conn)).toBeUndefined();
    await cell.fixture?.admin('status', { code: 500 });
    for (let i = 0; i < 2; i++) {
      const r = await cell.call(conn, 'echo', { text: 'x' });
      expect(r.ok ? 'resolved' : r.error).toMatchObject({ kind: 'connection', code: 'HTTP_500' });
    }
    expect(conn.breaker.state).toBe('open');
    await cell.reach(conn, 'degraded');
    const fast = await cell.call(conn, 'echo', { text: 'x' });
    expect(fast.ok ? 'resolved' : fast.error.kind).toBe('circuitOpen');
    await cell.fixture?.admin('reset');
    await firstValueFrom(conn.breaker.state$.pipe(filter((s) => s === 'halfOpen')));
    const probe = await cell.call(conn, 'echo', { text: 'probe' });
    expect(probe.ok && textOf(probe.value)).toBe('probe');
    await cell.reach(conn, 'ready');
    cell.note('2 x HTTP 500 opened the breaker (degraded, calls fail fast); a probe after the fix closed it');
  },
};
