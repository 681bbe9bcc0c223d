import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { inMemoryServer, quietLogger, reach, record } from './connectionTestKit.js';

/** The in-memory server these tests talk to: `double` answers twice its `n`. */
const doubling = () =>
  inMemoryServer((server) =>
    server.registerTool('double', { inputSchema: z.object({ n: z.number() }) }, async ({ n }) => ({
      content: [{ type: 'text', text: String(n * 2) }],
    })),
  );

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe('ServerConnection with a transportFactory (SDK InMemoryTransport)', () => {
  it('connects and calls tools through breaker, retry and deadline', async () => {
    const mem = doubling();
    const conn = new ServerConnection({
      config: { name: 'mem', transport: 'stdio', command: 'in-memory' },
      transportFactory: mem.factory,
      logger: quietLogger,
    });
    open.push(conn);
    await conn.start();
    const result = await conn.callTool('double', { n: 21 });
    expect(result.content[0]).toEqual({ type: 'text', text: '42' });
  });

  it('a closed server side is a lost connection: the actor reconnects with a fresh transport', async () => {
    const mem = doubling();
    const conn = new ServerConnection({
      config: { name: 'mem', transport: 'stdio', command: 'in-memory' },
      transportFactory: mem.factory,
      logger: quietLogger,
      connection: { backoffBaseMs: 1, backoffMaxMs: 5 },
    });
    open.push(conn);
    await conn.start();
    const reconnecting = reach(conn, 'reconnecting');
    await mem.servers[0]?.close();
    await reconnecting;
    await reach(conn, 'ready');
    expect(mem.servers).toHaveLength(2);
    expect((await conn.callTool('double', { n: 2 })).content[0]).toEqual({ type: 'text', text: '4' });
  });

  it('a call wakes a failed connection (the machine CALL): one more connect, then the call runs; lastError follows the machine', async () => {
    const mem = doubling();
    let refuse = true;
    const conn = new ServerConnection({
      config: { name: 'mem', transport: 'stdio', command: 'in-memory' },
      transportFactory: () => {
        if (refuse)
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
        return mem.factory();
      },
      logger: quietLogger,
      // No restart budget: the first failure is `failed`; the cooldown never ends on this clock.
      clock: new SimulatedClock(),
      connection: { maxRestarts: 0 },
      // A retry would wait out its backoff on this clock: one attempt per call.
      retry: { maxAttempts: 1 },
    });
    open.push(conn);
    const rec = record(conn);
    await expect(conn.start()).rejects.toMatchObject({ kind: 'connection' });
    await reach(conn, 'failed');
    expect(conn.lastError?.message).toContain('ECONNREFUSED');
    expect(conn.actor.getSnapshot().context.lastError?.message).toBe(conn.lastError?.message);
    // Still down: the woken attempt fails again and the call gets that failure, not a wait.
    await expect(conn.callTool('double', { n: 1 })).rejects.toMatchObject({ kind: 'connection' });
    expect(conn.state).toBe('failed');
    refuse = false;
    const result = await conn.callTool('double', { n: 21 });
    expect(result.content[0]).toEqual({ type: 'text', text: '42' });
    expect(conn.state).toBe('ready');
    expect(conn.lastError).toBeUndefined();
    expect(rec.states()).toEqual([
      'idle',
      'connecting',
      'failed',
      'connecting',
      'failed',
      'connecting',
      'ready',
    ]);
  });
});
