import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { quietLogger, reach } from './connectionTestKit.js';

/** An SDK server in this process; each connect attempt gets a fresh linked pair. */
function inMemoryServer() {
  const servers: McpServer[] = [];
  const factory = () => {
    const server = new McpServer({ name: 'mem', version: '1.0.0' });
    server.registerTool('double', { inputSchema: z.object({ n: z.number() }) }, async ({ n }) => ({
      content: [{ type: 'text', text: String(n * 2) }],
    }));
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    void server.connect(serverSide);
    servers.push(server);
    return client;
  };
  return { factory, servers };
}

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe('ServerConnection with a transportFactory (SDK InMemoryTransport)', () => {
  it('connects and calls tools through breaker, retry and deadline', async () => {
    const mem = inMemoryServer();
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
    const mem = inMemoryServer();
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
});
