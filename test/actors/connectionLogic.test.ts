// One connection machine for every connection: each actor still gets its own I/O.
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { Actor } from 'xstate';
import { connectionLogic } from '../../src/actors/connectionLogic.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { inMemoryServer, quietLogger } from './connectionTestKit.js';

/** A server named `answer` whose `who` tool answers its name. */
const serverNamed = (answer: string) =>
  inMemoryServer(
    (server) => server.registerTool('who', {}, async () => ({ content: [{ type: 'text', text: answer }] })),
    answer,
  ).factory;

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

  it('a connect attempt in flight when its actor is stopped without CLOSE closes its session once it settles', async () => {
    // The server starts answering only when the test says so, so the attempt is in flight at stop().
    let startServer = () => {};
    let transportMade = () => {};
    let transportClosed = () => {};
    const made = new Promise<void>((resolve) => {
      transportMade = resolve;
    });
    const closed = new Promise<void>((resolve) => {
      transportClosed = resolve;
    });
    const conn = new ServerConnection({
      config: { name: 'stopped', transport: 'stdio', command: 'in-memory' },
      // Not the wall clock: a root actor of its own, which stop() stops.
      clock: { now: () => Date.now(), setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      transportFactory: () => {
        const server = new McpServer({ name: 'late', version: '1.0.0' });
        const [client, serverSide] = InMemoryTransport.createLinkedPair();
        startServer = () => void server.connect(serverSide);
        const close = client.close.bind(client);
        client.close = async () => {
          transportClosed();
          await close();
        };
        transportMade();
        return client;
      },
      logger: quietLogger,
    });
    conn.actor.send({ type: 'CONNECT', at: Date.now() });
    await made;
    expect(conn.state).toBe('connecting');
    const actor = conn.actor;
    if (!(actor instanceof Actor)) throw new Error('expected a root actor');
    actor.stop();
    startServer();
    await closed;
    expect(conn.session.client).toBeUndefined();
    expect(conn.actor.getSnapshot().status).toBe('stopped');
    // close() of a connection whose actor was stopped resolves (a stopped actor never reaches `closed`).
    await conn.close();
    expect(conn.session.client).toBeUndefined();
  });
});
