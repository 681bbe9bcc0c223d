// A plain connection makes its circuit breaker on first use (src/actors/connectionParts.ts); one that is
// inspected, spawned or restored makes it with the connection. Both must behave the same.
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validate } from '../../src/actors/breakerOptions.js';
import { ServerConnection, type ServerConnectionOptions } from '../../src/actors/ServerConnection.js';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import type { BreakerStateName } from '../../src/events/RuntimeEvent.js';
import { quietLogger, reach, record } from './connectionTestKit.js';

function inMemory() {
  const server = new McpServer({ name: 'lazy-breaker', version: '1.0.0' });
  server.registerTool('half', { inputSchema: z.object({ n: z.number() }) }, async ({ n }) =>
    n % 2 === 0
      ? { content: [{ type: 'text', text: String(n / 2) }] }
      : { content: [{ type: 'text', text: 'odd' }], isError: true },
  );
  const [client, serverSide] = InMemoryTransport.createLinkedPair();
  void server.connect(serverSide);
  return client;
}

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function connection(name: string, extra: Partial<ServerConnectionOptions> = {}): ServerConnection {
  const conn = new ServerConnection({
    config: { name, transport: 'stdio', command: 'in-memory' },
    transportFactory: inMemory,
    logger: quietLogger,
    toolErrorsTripBreaker: true,
    breaker: { strategy: { kind: 'consecutive', threshold: 2 } },
    ...extra,
  });
  open.push(conn);
  return conn;
}

/** Two failed calls open the breaker; the connection degrades and refuses the next call at once. */
async function tripBreaker(conn: ServerConnection) {
  const rec = record(conn);
  await conn.start();
  const before = conn.available;
  await conn.callTool('half', { n: 1 });
  await conn.callTool('half', { n: 3 });
  await reach(conn, 'degraded');
  const refused = await conn.callTool('half', { n: 2 }).then(
    () => 'called',
    (e: { kind?: string }) => e.kind,
  );
  const events = rec.events.map((e) =>
    e.type === 'breaker.transition' ? `${e.from}->${e.to}` : e.type === 'connection.state' ? e.to : '',
  );
  rec.stop();
  return {
    before,
    after: conn.available,
    breaker: conn.breaker.state,
    refused,
    events: events.filter(Boolean),
  };
}

describe('a connection breaker made on first use', () => {
  it('opens, degrades the connection and refuses calls exactly as a breaker made with the connection', async () => {
    const lazy = await tripBreaker(connection('lazy'));
    const eager = await tripBreaker(connection('eager', { inspect: () => {} }));
    expect(lazy).toEqual(eager);
    expect(lazy).toMatchObject({ before: true, after: false, breaker: 'open', refused: 'circuitOpen' });
    expect(lazy.events).toEqual(['connecting', 'ready', 'closed->open', 'degraded']);
  });

  it('a bad breaker setting is still refused by the constructor', () => {
    expect(() => connection('bad', { breaker: { resetTimeoutMs: -1 } })).toThrow(ConfigurationError);
    expect(() => connection('bad', { breaker: { resetTimeoutMs: -1 } })).toThrow(
      /Invalid circuit breaker option 'resetTimeoutMs' of 'bad'/,
    );
  });

  it('a connection without breaker settings skips a check that the defaults always pass', () => {
    // The constructor checks only given settings: with none, the check could never refuse anything.
    expect(() => validate({ id: 'any-valid-server.name_1' })).not.toThrow();
    expect(() => connection('no-breaker-settings', { breaker: undefined })).not.toThrow();
  });

  it('read after close(), it is stopped like a breaker made with the connection', async () => {
    const afterClose = async (conn: ServerConnection) => {
      await conn.start();
      const available = conn.available;
      await conn.close();
      const seen: BreakerStateName[] = [];
      let completed = false;
      conn.breaker.state$.subscribe({ next: (s) => seen.push(s), complete: () => (completed = true) });
      return { available, state: conn.breaker.state, seen, completed };
    };
    const lazy = await afterClose(connection('lazy-closed'));
    expect(lazy).toEqual(await afterClose(connection('eager-closed', { inspect: () => {} })));
    expect(lazy).toMatchObject({ available: true, state: 'closed', completed: true });
  });
});
