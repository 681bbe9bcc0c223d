// waitForClient's deadline: a caller waiting for a connection that is still connecting gives up when
// its signal aborts (already aborted: at once), with the typed cancellation, and stops listening.
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { quietLogger } from './connectionTestKit.js';

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A connection whose server never answers: it stays `connecting` for the test's whole length. */
function silent(name: string): ServerConnection {
  const conn = new ServerConnection({
    config: { name, transport: 'stdio', command: 'in-memory', connectTimeoutMs: 600_000 },
    transportFactory: () => InMemoryTransport.createLinkedPair()[0],
    logger: quietLogger,
  });
  open.push(conn);
  conn.reconnect();
  return conn;
}

describe('waitForClient with a deadline', () => {
  it('an already-aborted signal rejects at once as cancelled', async () => {
    const conn = silent('wait-aborted');
    expect(conn.state).toBe('connecting');
    await expect(conn.ping({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      kind: 'cancelled',
      server: 'wait-aborted',
    });
  });

  it('a signal aborted while connecting rejects the waiting caller as cancelled', async () => {
    const conn = silent('wait-abort-later');
    const controller = new AbortController();
    const waiting = conn.ping({ signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ kind: 'cancelled', server: 'wait-abort-later' });
    expect(conn.state).toBe('connecting');
  });
});
