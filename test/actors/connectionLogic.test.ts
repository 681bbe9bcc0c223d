// One connection machine for every connection: each actor still gets its own I/O.
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionLogic } from '../../src/actors/connectionLogic.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { quietLogger } from './connectionTestKit.js';

function serverNamed(answer: string) {
  return () => {
    const server = new McpServer({ name: answer, version: '1.0.0' });
    server.registerTool('who', {}, async () => ({ content: [{ type: 'text', text: answer }] }));
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    void server.connect(serverSide);
    return client;
  };
}

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe('the shared connection machine', () => {
  it('is one machine for every connection, and same-named connections in separate actors reach their own servers', async () => {
    expect(connectionLogic()).toBe(connectionLogic());
    const conns = ['a', 'b', 'c'].map((answer) => {
      const conn = new ServerConnection({
        config: { name: 'same', transport: 'stdio', command: 'in-memory' },
        transportFactory: serverNamed(answer),
        logger: quietLogger,
      });
      open.push(conn);
      return conn;
    });
    await Promise.all(conns.map((c) => c.start()));
    const answers = await Promise.all(conns.map((c) => c.callTool('who')));
    expect(answers.map((r) => (r.content[0] as { text: string }).text)).toEqual(['a', 'b', 'c']);
    // Reconnecting goes through the shared machine's planReconnect and connect again.
    conns[1]?.reconnect();
    await expect(conns[1]?.callTool('who')).resolves.toMatchObject({ content: [{ text: 'b' }] });
  });
});
