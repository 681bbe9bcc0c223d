// What the SDK Clients of idle connections share instead of holding one each (heap per idle
// connection, bench/scale.ts): the negotiation options of a default connect, and the onerror/onclose
// functions. A connection whose options differ gets its own, with its own values.
import type { Client } from '@modelcontextprotocol/client';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { inMemoryServer, quietLogger } from './connectionTestKit.js';

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function connected(name: string, config: Record<string, unknown> = {}): Promise<Client> {
  const conn = new ServerConnection({
    config: { name, transport: 'stdio', command: 'in-memory', ...config },
    transportFactory: inMemoryServer().factory,
    logger: quietLogger,
  });
  open.push(conn);
  await conn.start();
  return conn.session.client as Client;
}

/** The options the SDK Client keeps (its private `_versionNegotiation`, read as the SDK reads it). */
function negotiationOf(client: Client): { mode: unknown; probe: { timeoutMs: number } } {
  return (client as unknown as { _versionNegotiation: { mode: unknown; probe: { timeoutMs: number } } })
    ._versionNegotiation;
}

describe('McpSession: what the clients of idle connections share', () => {
  it('default connections share one frozen negotiation and the same onerror/onclose functions', async () => {
    const a = await connected('share-a');
    const b = await connected('share-b');
    expect(negotiationOf(a)).toBe(negotiationOf(b));
    expect(Object.isFrozen(negotiationOf(a))).toBe(true);
    expect(negotiationOf(a)).toEqual({ mode: 'auto', probe: { timeoutMs: 5_000 } });
    expect(a.onerror).toBe(b.onerror);
    expect(a.onclose).toBe(b.onclose);
  });

  it('a connection with its own timeout or mode gets the negotiation of its own options', async () => {
    const short = await connected('share-short', { connectTimeoutMs: 3_000 });
    expect(negotiationOf(short)).toEqual({ mode: 'auto', probe: { timeoutMs: 1_000 } });
    const legacy = await connected('share-legacy', { protocolVersion: 'legacy' });
    expect(negotiationOf(legacy)).toEqual({ mode: 'legacy', probe: { timeoutMs: 5_000 } });
    const again = await connected('share-default');
    expect(negotiationOf(again)).toEqual({ mode: 'auto', probe: { timeoutMs: 5_000 } });
  });

  it('a reconnect gets a fresh client, and the replaced one no longer reaches the connection', async () => {
    const conn = new ServerConnection({
      config: { name: 'share-reconnect', transport: 'stdio', command: 'in-memory' },
      transportFactory: inMemoryServer().factory,
      logger: quietLogger,
    });
    open.push(conn);
    await conn.start();
    const first = conn.session.client as Client;
    const renewed = firstValueFrom(
      conn.state$.pipe(filter((s) => s === 'ready' && conn.session.client !== first)),
    );
    conn.reconnect();
    await renewed;
    const second = conn.session.client as Client;
    expect(second).not.toBe(first);
    expect(conn.session.closedLocally(first)).toBe(true);
    // The replaced client's callbacks are stale: an error or a close of it says nothing now.
    first.onerror?.(new Error('late error of a replaced client'));
    first.onclose?.();
    expect(conn.state).toBe('ready');
    expect(conn.session.client).toBe(second);
  });
});
