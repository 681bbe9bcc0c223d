import { expect } from 'vitest';
import { connectAttempts, type FaultSpec } from './faultSpec.js';

// Faults that hit the connection itself: nothing listening, a crash during initialize, an
// incompatible server, a server that keeps dying. Backoff-heavy, so they run on a SimulatedClock.

export const refused: FaultSpec = {
  id: 'refused',
  label: 'refused connection',
  simulatedClock: true,
  async run(cell) {
    const conn = cell.connect(await cell.refusingServer(), { connection: { maxRestarts: 2 } });
    const error = await cell.start(conn);
    if (cell.transport === 'stdio') {
      // Nothing to connect to on stdio is a command that is not there: permanent, no restart storm.
      expect(error).toMatchObject({ kind: 'connection', code: 'ENOENT', retryable: false });
      cell.expectState(conn, 'failed');
      expect(cell.states(conn)).toEqual(['idle', 'connecting', 'failed']);
      return;
    }
    expect(error).toMatchObject({ kind: 'connection', code: 'ECONNREFUSED', retryable: true });
    await cell.advanceTo(conn, 'failed');
    expect(connectAttempts(cell, conn)).toBe(3);
    cell.note(`${connectAttempts(cell, conn)} connect attempts (maxRestarts 2), then failed`);
  },
};

export const crashOnConnect: FaultSpec = {
  id: 'crash-on-connect',
  label: 'crash during connect',
  simulatedClock: true,
  async run(cell) {
    const conn = cell.connect(await cell.server({ faults: ['crash-on-connect'] }), {
      connection: { maxRestarts: 1 },
    });
    const error = await cell.start(conn);
    expect(error).toMatchObject({ kind: 'connection', retryable: true });
    await cell.advanceTo(conn, 'failed');
    expect(connectAttempts(cell, conn)).toBe(2);
    if (cell.fixture) {
      // The HTTP server process exited when initialize arrived; the second attempt found it gone.
      expect(await cell.fixture.exited).toMatchObject({ code: 1 });
    }
    cell.note(`${connectAttempts(cell, conn)} connect attempts (maxRestarts 1), then failed`);
  },
};

export const protocolVersion: FaultSpec = {
  id: 'protocol-version',
  notIn2026:
    "a 2026 server states its versions in server/discover; a mismatch is the era cells' ERA_NEGOTIATION_FAILED (test/errors/eraErrors.test.ts)",
  label: 'protocol version mismatch',
  async run(cell) {
    const conn = cell.connect(await cell.server({ faults: ['bad-protocol-version'] }));
    const error = await cell.start(conn);
    expect(error).toMatchObject({ kind: 'protocol', code: 'PROTOCOL_VERSION', retryable: false });
    cell.expectState(conn, 'failed');
    // Permanent: straight to failed, no reconnect loop against an incompatible server.
    expect(cell.states(conn)).toEqual(['idle', 'connecting', 'failed']);
  },
};

export const restartingRepeatedly: FaultSpec = {
  id: 'restart-budget',
  label: 'server restarting repeatedly (restart budget)',
  simulatedClock: true,
  async run(cell) {
    const conn = cell.connect(await cell.server({ own: true }), {
      connection: { maxRestarts: 2, restartWindowMs: 60_000 },
    });
    expect(await cell.start(conn)).toBeUndefined();
    const fixture = cell.fixture;
    // HTTP: the crash tool ends the whole server process; bring it back before the reconnect is due.
    const bringBack = async () => {
      if (fixture) await fixture.restart();
    };
    for (let crash = 1; crash <= 3; crash++) {
      const result = await cell.call(conn, 'crash', {}, 2_000);
      expect(result.ok ? 'resolved' : result.error.kind).toBe('connection');
      if (crash < 3) await cell.advanceTo(conn, 'ready', bringBack);
    }
    // The third loss within the window exceeds maxRestarts 2: failed, no further attempts.
    await cell.reach(conn, 'failed');
    expect(connectAttempts(cell, conn)).toBe(3);
    expect(conn.lastError?.kind).toBe('connection');
    cell.note('3 crashes within the restart window (maxRestarts 2): 2 restarts, then failed');
  },
};
