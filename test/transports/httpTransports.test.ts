import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { classifyError } from '../../src/errors/classifyError.js';
import { createTransport, type GuardedSseTransport } from '../../src/transports/index.js';
import { type EverythingHttp, startEverythingHttp } from './everythingHttp.js';
import { closeAll, connect } from './helpers.js';

afterEach(closeAll);

const textOf = (result: unknown): string =>
  (result as { content: { text?: string }[] }).content[0]?.text ?? '';

/** A port nothing listens on: bind an ephemeral loopback port, then release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** EventSource state inside the SDK transport (private field; 2 = CLOSED, never reconnects). */
function eventSourceState(t: GuardedSseTransport): number | undefined {
  return (t.sdkTransport as unknown as { _eventSource?: { readyState: number } })._eventSource?.readyState;
}

describe('Streamable HTTP against server-everything (bound to 127.0.0.1)', () => {
  let everything: EverythingHttp;
  beforeAll(async () => {
    everything = await startEverythingHttp('streamableHttp');
  });
  afterAll(() => everything?.kill());

  it('lists and calls tools', async () => {
    const { client, handle } = await connect({
      name: 'everything-http',
      transport: 'streamableHttp',
      url: `${everything.base}/mcp`,
      headers: { 'x-azcore-test': '1' },
    });
    expect(handle.pid).toBeUndefined();
    expect(handle.transport.sessionId).toMatch(/[0-9a-f-]{36}/);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'over http' } }))).toBe(
      'Echo: over http',
    );
  });

  it('an expired session classifies as SESSION_EXPIRED and a fresh transport starts a new session', async () => {
    const config = {
      name: 'everything-http',
      transport: 'streamableHttp',
      url: `${everything.base}/mcp`,
    } as const;
    const first = await connect(config);
    const oldSession = first.handle.transport.sessionId!;
    // The server forgets the session (as after a restart or an idle expiry).
    const deleted = await fetch(`${everything.base}/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': oldSession },
    });
    expect(deleted.ok).toBe(true);

    const error = await first.client.listTools().catch((e: unknown) => e);
    const typed = classifyError(error, { server: 'everything-http' });
    expect(typed).toBeInstanceOf(ConnectionError);
    expect(typed).toMatchObject({ code: 'SESSION_EXPIRED', retryable: true, server: 'everything-http' });
    expect(typed.message).toMatch(/re-initializes with a new session/);

    const fresh = createTransport(config);
    expect(fresh.transport).not.toBe(first.handle.transport);
    expect(fresh.transport.sessionId).toBeUndefined();
    const client = new Client({ name: 'azcore-test', version: '0.0.0' });
    await client.connect(fresh.transport);
    expect(fresh.transport.sessionId).not.toBe(oldSession);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await fresh.close();
  });

  it('handle.close() is idempotent even though the SDK transport fires onclose per call', async () => {
    const { client, handle } = await connect({
      name: 'everything-http',
      transport: 'streamableHttp',
      url: `${everything.base}/mcp`,
    });
    let closes = 0;
    const previous = handle.transport.onclose;
    handle.transport.onclose = () => {
      closes++;
      previous?.();
    };
    await client.close();
    await handle.close();
    await handle.close();
    expect(closes).toBe(1);
    expect(handle.transport).toBeInstanceOf(StreamableHTTPClientTransport);
  });
});

describe('SSE', () => {
  it('against a closed port: start() rejects fast with a classified error and no reconnect loop is left', async () => {
    const port = await closedPort();
    const handle = createTransport({ name: 'legacy', transport: 'sse', url: `http://127.0.0.1:${port}/sse` });
    const transport = handle.transport as GuardedSseTransport;
    let closes = 0;
    transport.onclose = () => closes++;
    const started = Date.now();
    const error = await transport.start().catch((e: unknown) => e);
    // EventSource would retry every 3 s forever; the guard closed it before the first retry.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', retryable: true, server: 'legacy' });
    expect((error as Error).message).toMatch(/could not be reached.*Check that it is running/);
    expect(eventSourceState(transport)).toBe(2);
    expect(closes).toBe(1);
    await handle.close();
    expect(closes).toBe(1);
  });

  it('an HTTP error status on the stream rejects start() with the status classified', async () => {
    const server: Server = createServer((_req, res) => res.writeHead(403).end('no'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const handle = createTransport({
        name: 'legacy',
        transport: 'sse',
        url: `http://127.0.0.1:${port}/sse`,
      });
      const error = await handle.transport.start().catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'auth', code: 'HTTP_403', retryable: false, server: 'legacy' });
      expect(eventSourceState(handle.transport as GuardedSseTransport)).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('against server-everything sse (bound to 127.0.0.1)', () => {
    let everything: EverythingHttp;
    beforeAll(async () => {
      everything = await startEverythingHttp('sse');
    });
    afterAll(() => everything?.kill());

    it('calls tools, and when the server dies the stream failure closes the transport (onclose fires)', async () => {
      const { client, handle, closed, errors } = await connect({
        name: 'everything-sse',
        transport: 'sse',
        url: `${everything.base}/sse`,
      });
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'sse' } }))).toBe(
        'Echo: sse',
      );
      await everything.kill();
      await closed;
      expect(eventSourceState(handle.transport as GuardedSseTransport)).toBe(2);
      const streamError = errors.items[0];
      expect(streamError).toBeInstanceOf(ConnectionError);
      expect(streamError).toMatchObject({ server: 'everything-sse', retryable: true });
    });
  });
});
