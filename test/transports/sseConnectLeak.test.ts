import { createServer, type Server, type Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { GuardedSseTransport } from '../../src/transports/GuardedSseTransport.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { leaksSince, probeProcess } from '../chaos/probe.js';

/** Accepts TCP connections and reads the request, but never answers: a GET /sse that hangs. */
async function silentServer() {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    accepted: () => accepted,
    /** Connections the client still holds open (the server never closes one itself). */
    open: () => sockets.size,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls until `check` holds or `ms` passes (sockets close a few event-loop turns after close()). */
async function eventually(check: () => boolean, ms = 2_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  return check();
}

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.map((s) => s()));
  stops = [];
});

describe('SSE connect attempt against a server that never answers GET /sse', () => {
  it('a timed-out connect releases its socket (transport level)', async () => {
    const silent = await silentServer();
    stops.push(silent.stop);
    const before = probeProcess();
    const transport = new GuardedSseTransport({ name: 'mute', transport: 'sse', url: silent.url });
    const client = new Client({ name: 'leak-test', version: '1.0.0' });
    const connecting = client.connect(transport, { timeout: 200 });
    expect(await eventually(() => silent.accepted() === 1)).toBe(true);
    // The attempt gives up (its timeout or abort): closing the transport must end start() and the GET.
    await transport.close();
    await expect(connecting).rejects.toMatchObject({ kind: 'connection', code: 'TRANSPORT_CLOSED' });
    expect(silent.accepted()).toBe(1);
    expect(await eventually(() => silent.open() === 0)).toBe(true);
    const leaks = await leaksSince(before);
    expect(leaks.handles).toEqual([]);
  });

  it('a ServerConnection whose SSE connect times out leaves no socket open, after close() either', async () => {
    const silent = await silentServer();
    stops.push(silent.stop);
    const before = probeProcess();
    const conn = new ServerConnection({
      config: { name: 'mute', transport: 'sse', url: silent.url, connectTimeoutMs: 300 },
      logger: quietLogger,
      connection: { maxRestarts: 0, pingIntervalMs: 0 },
    });
    await expect(conn.start()).rejects.toMatchObject({ kind: 'timeout' });
    expect(silent.accepted()).toBeGreaterThanOrEqual(1);
    expect(await eventually(() => silent.open() === 0)).toBe(true);
    await conn.close();
    expect(silent.open()).toBe(0);
    const leaks = await leaksSince(before);
    expect(leaks.handles).toEqual([]);
  });
});
