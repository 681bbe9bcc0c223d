import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { filter, firstValueFrom } from 'rxjs';
import { z } from 'zod';
import type { ServerConnection } from '../../src/actors/ServerConnection.js';
import type { ConnectionStateName, RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { createLogger } from '../../src/observe/logger.js';

/** Resolves when the connection reaches `state` (now or later). */
export function reach(conn: ServerConnection, state: ConnectionStateName): Promise<ConnectionStateName> {
  if (conn.state === state) return Promise.resolve(state);
  return firstValueFrom(conn.state$.pipe(filter((s) => s === state)));
}

/** Records every event of the connection, and the path of connection states it went through. */
export function record(conn: ServerConnection) {
  const events: RuntimeEvent[] = [];
  const sub = conn.events$.subscribe((e) => events.push(e));
  return {
    events,
    states: () => ['idle', ...events.flatMap((e) => (e.type === 'connection.state' ? [e.to] : []))],
    ofType: <T extends RuntimeEvent['type']>(type: T) =>
      events.filter((e): e is Extract<RuntimeEvent, { type: T }> => e.type === type),
    stop: () => sub.unsubscribe(),
  };
}

/** Tests keep logs quiet; set AZCORE_LOG_LEVEL=debug to read them. */
export const quietLogger = createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'silent' });

/**
 * A `transportFactory` over an SDK `McpServer` in this process: each connect attempt gets a fresh
 * server named `name`, given its tools by `register`, on a fresh in-memory linked pair.
 * `servers` holds every server made so far.
 */
export function inMemoryServer(register: (server: McpServer) => void = () => {}, name = 'mem') {
  const servers: McpServer[] = [];
  const factory = () => {
    const server = new McpServer({ name, version: '1.0.0' });
    register(server);
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    void server.connect(serverSide);
    servers.push(server);
    return client;
  };
  return { factory, servers };
}

/** An in-memory SDK server: `double` answers, `hang` never does (and records the cancellation). */
export function doubleAndHang() {
  const cancelled: string[] = [];
  const { factory } = inMemoryServer((server) => {
    server.registerTool('double', { inputSchema: z.object({ n: z.number() }) }, async ({ n }) => ({
      content: [{ type: 'text', text: String(n * 2) }],
    }));
    server.registerTool('hang', { inputSchema: z.object({}) }, (_args, ctx) => {
      return new Promise((_resolve, reject) => {
        ctx.mcpReq.signal.addEventListener('abort', () => {
          cancelled.push('hang');
          reject(new Error('cancelled'));
        });
      });
    });
  });
  return { factory, cancelled };
}

/** The call events of `events` with their times and ids zeroed, to compare two runs of the same call. */
export function callEvents(events: RuntimeEvent[]) {
  return events
    .filter((e) => e.type.startsWith('call.'))
    .map((e) => ({
      ...e,
      at: 0,
      callId: 0,
      ...('durationMs' in e ? { durationMs: 0 } : {}),
      ...('delayMs' in e ? { delayMs: 0 } : {}),
    }));
}
