import { filter, firstValueFrom, timeout } from 'rxjs';
import { expect } from 'vitest';
import { processAlive } from '../fixtures/index.js';
import { connectAttempts, type FaultSpec, textOf } from './faultSpec.js';

// Faults that hit a call on a working connection.

export const crashMidCall: FaultSpec = {
  id: 'crash-mid-call',
  label: 'crash mid-call',
  simulatedClock: true,
  async run(cell) {
    const conn = cell.connect(await cell.server({ own: true }));
    const events = cell.events(conn);
    expect(await cell.start(conn)).toBeUndefined();
    const pid = conn.pid;
    const crash = await cell.call(conn, 'crash', {}, 2_000);
    expect(crash.ok ? 'resolved' : crash.error.kind).toBe('connection');
    // Not retried by default: the tool may have run before the server died.
    expect(events.filter((e) => e.type === 'call.retried')).toHaveLength(0);
    const fixture = cell.fixture;
    await cell.advanceTo(conn, 'ready', async () => {
      if (fixture && !processAlive(fixture.pid)) await fixture.restart();
    });
    const after = await cell.call(conn, 'echo', { text: 'after crash' });
    expect(after.ok && textOf(after.value)).toBe('after crash');
    if (pid !== undefined) expect(processAlive(pid)).toBe(false);
    cell.note(`reconnected after ${connectAttempts(cell, conn) - 1} reconnect(s); next call ok`);
  },
};

export const hang: FaultSpec = {
  id: 'hang',
  label: 'hang (no reply ever)',
  async run(cell) {
    const conn = cell.connect(await cell.server());
    expect(await cell.start(conn)).toBeUndefined();
    const hung = await cell.call(conn, 'hang', {}, 300);
    expect(hung.ok ? 'resolved' : hung.error.kind).toBe('timeout');
    expect(hung.elapsedMs).toBeGreaterThanOrEqual(290);
    cell.expectState(conn, 'ready');
    const next = await cell.call(conn, 'echo', { text: 'still here' });
    expect(next.ok && textOf(next.value)).toBe('still here');
  },
};

export const slow: FaultSpec = {
  id: 'slow',
  label: 'slow reply beyond the timeout',
  async run(cell) {
    const conn = cell.connect(await cell.server());
    expect(await cell.start(conn)).toBeUndefined();
    const within = await cell.call(conn, 'slow', { ms: 20 }, 3_000);
    expect(within.ok && textOf(within.value)).toBe('slept 20');
    const beyond = await cell.call(conn, 'slow', { ms: 10_000 }, 300);
    expect(beyond.ok ? 'resolved' : beyond.error.kind).toBe('timeout');
    cell.expectState(conn, 'ready');
    const next = await cell.call(conn, 'echo', { text: 'next' });
    expect(next.ok).toBe(true);
  },
};

export const garbage: FaultSpec = {
  id: 'garbage',
  label: 'garbage on stdout',
  notApplicable: {
    streamableHttp: 'no stdout channel: messages are framed by HTTP responses',
    sse: 'no stdout channel: messages are framed by the SSE stream and HTTP responses',
  },
  async run(cell) {
    const conn = cell.connect(await cell.server({ faults: ['garbage-on-start'] }));
    expect(await cell.start(conn)).toBeUndefined();
    const dirty = await cell.call(conn, 'garbage');
    expect(dirty.ok && textOf(dirty.value)).toBe('garbage written');
    const next = await cell.call(conn, 'echo', { text: 'clean' });
    expect(next.ok && textOf(next.value)).toBe('clean');
    cell.expectState(conn, 'ready');
    expect(connectAttempts(cell, conn)).toBe(1);
    cell.note('a non-JSON line before initialize and one mid-run: skipped, connection kept');
  },
};

const CAP = 256 * 1024;

export const oversized: FaultSpec = {
  id: 'oversized',
  label: 'oversized result (above the cap)',
  async run(cell) {
    const conn = cell.connect(await cell.server({ maxMessageBytes: CAP }));
    expect(await cell.start(conn)).toBeUndefined();
    const big = await cell.call(conn, 'big', { bytes: 4 * CAP }, 5_000);
    expect(big.ok ? 'resolved' : big.error).toMatchObject({ kind: 'resource', code: 'RESULT_TOO_LARGE' });
    const fits = await cell.call(conn, 'big', { bytes: CAP / 2 });
    expect(fits.ok && textOf(fits.value)?.length).toBe(CAP / 2);
    cell.expectState(conn, 'ready');
    expect(connectAttempts(cell, conn)).toBe(1);
    cell.note(`cap ${CAP} bytes: a ${4 * CAP}-byte result is refused at once, the connection is kept`);
  },
};

export const intermittentIsError: FaultSpec = {
  id: 'is-error',
  label: 'intermittent isError results',
  async run(cell) {
    const conn = cell.connect(await cell.server(), {
      breaker: { strategy: { kind: 'consecutive', threshold: 2 } },
    });
    expect(await cell.start(conn)).toBeUndefined();
    let toolErrors = 0;
    for (let i = 0; i < 9; i++) {
      const r = await cell.call(conn, 'flaky', { every: 3 });
      expect(r.ok).toBe(true);
      if (r.ok && r.value.isError) toolErrors++;
    }
    // Nine consecutive calls hold exactly three multiples of 3, whatever the process counter was.
    expect(toolErrors).toBe(3);
    // Tool errors are results for the model, not transport failures for the breaker (MCP spec).
    expect(conn.breaker.state).toBe('closed');
    cell.expectState(conn, 'ready');
    cell.note(`${toolErrors} of 9 calls returned isError; breaker stayed closed`);
  },
};

export const toolsListChanged: FaultSpec = {
  id: 'list-changed',
  label: 'tools/list_changed mid-run',
  async run(cell) {
    const conn = cell.connect(await cell.server());
    expect(await cell.start(conn)).toBeUndefined();
    const before = await conn.listTools();
    const changed = firstValueFrom(
      conn.events$.pipe(
        filter((e) => e.type === 'tools.changed'),
        timeout(5_000),
      ),
    );
    const add = await cell.call(conn, 'add_tool', { name: 'chaos_tool' });
    expect(add.ok).toBe(true);
    expect(await changed).toMatchObject({ tools: before.length + 1 });
    const after = await conn.listTools();
    expect(after.map((t) => t.name)).toContain('chaos_tool');
    const added = await cell.call(conn, 'chaos_tool');
    expect(added.ok && textOf(added.value)).toBe('tool chaos_tool');
    cell.expectState(conn, 'ready');
    cell.note(`tool list refreshed on the notification: ${before.length} -> ${after.length} tools`);
  },
};
