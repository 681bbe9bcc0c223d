import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ServerConnection, type ServerConnectionOptions } from '../../src/actors/ServerConnection.js';
import { parseMcpServersJson, type ServerConfig } from '../../src/config/serverConfig.js';
import { createTransport } from '../../src/transports/createTransport.js';
import { startHttpFixture, stopAllFixtures } from '../fixtures/index.js';
import { quietLogger, reach, record } from './connectionTestKit.js';

const open: ServerConnection[] = [];
function connect(config: ServerConfig, extra: Partial<ServerConnectionOptions> = {}) {
  const conn = new ServerConnection({
    config,
    logger: quietLogger,
    connection: { backoffBaseMs: 10, backoffMaxMs: 50 },
    ...extra,
  });
  open.push(conn);
  return conn;
}
const text = (r: { content: unknown[] }) => (r.content[0] as { text?: string } | undefined)?.text;

/** The built-in transports, with a note of which kind each connect attempt asked for. */
function spyTransports(fetch?: typeof globalThis.fetch) {
  const kinds: string[] = [];
  const transportFactory = (config: ServerConfig) => {
    kinds.push(config.transport);
    return createTransport(config, config.transport === 'streamableHttp' && fetch ? { fetch } : {});
  };
  return { kinds, transportFactory };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(stopAllFixtures);

describe('Streamable HTTP -> legacy SSE fallback (MCP spec, backwards compatibility)', () => {
  it('a legacy SSE URL configured as streamableHttp connects over SSE, calls a tool, and reconnects over SSE', async () => {
    const fx = await startHttpFixture();
    // What a legacy server answers the first POST of a Streamable HTTP client (here: 404).
    const probe = await fetch(fx.sseUrl, { method: 'POST', body: '{}' });
    expect([400, 404, 405]).toContain(probe.status);

    const conn = connect({ name: 'legacy', transport: 'streamableHttp', url: fx.sseUrl.href });
    const rec = record(conn);
    await conn.start();
    expect(conn.transport).toBe('sse');
    expect(conn.protocol?.era).toBe('legacy');
    expect(text(await conn.callTool('echo', { text: 'over sse' }))).toBe('over sse');
    // The failed Streamable HTTP attempt is not reported as a session expiry.
    expect(JSON.stringify(rec.events)).not.toContain('SESSION_EXPIRED');

    await fx.restart();
    expect(text(await conn.callTool('echo', { text: 'after restart' }, { timeout: 15_000 }))).toBe(
      'after restart',
    );
    expect(conn.transport).toBe('sse');
    expect(rec.states()).toContain('reconnecting');
  });

  it('remembers the verdict: a reconnect goes straight to SSE, never Streamable HTTP again', async () => {
    const fx = await startHttpFixture();
    const spy = spyTransports();
    const conn = connect(
      { name: 'legacy', transport: 'streamableHttp', url: fx.sseUrl.href },
      { transportFactory: spy.transportFactory },
    );
    await conn.start();
    expect(spy.kinds).toEqual(['streamableHttp', 'sse']);
    await fx.restart();
    expect(text(await conn.callTool('echo', { text: 'back' }, { timeout: 15_000 }))).toBe('back');
    expect(spy.kinds[0]).toBe('streamableHttp');
    expect(spy.kinds.slice(1).every((k) => k === 'sse')).toBe(true);
    expect(spy.kinds.length).toBeGreaterThanOrEqual(3);
  });

  it('405 (the other signal) falls back too', async () => {
    const fx = await startHttpFixture();
    const spy = spyTransports(async () => new Response('Method Not Allowed', { status: 405 }));
    const conn = connect(
      { name: 'legacy', transport: 'streamableHttp', url: fx.sseUrl.href },
      { transportFactory: spy.transportFactory },
    );
    await conn.start();
    expect(conn.transport).toBe('sse');
    expect(spy.kinds).toEqual(['streamableHttp', 'sse']);
  });

  it('an mcpServers entry with a url and no type falls back the same way', async () => {
    const fx = await startHttpFixture();
    const [config] = parseMcpServersJson({ mcpServers: { legacy: { url: fx.sseUrl.href } } });
    expect(config?.transport).toBe('streamableHttp');
    const conn = connect(config as ServerConfig);
    await conn.start();
    expect(conn.transport).toBe('sse');
    expect(text(await conn.callTool('add', { a: 2, b: 3 }))).toBe('5');
  });

  it('a true Streamable HTTP URL never falls back, not even on a 404 session expiry', async () => {
    const fx = await startHttpFixture();
    const spy = spyTransports();
    const conn = connect(
      { name: 'modern', transport: 'streamableHttp', url: fx.url.href },
      { transportFactory: spy.transportFactory },
    );
    await conn.start();
    expect(conn.transport).toBe('streamableHttp');
    await fx.admin('expire-sessions');
    expect(text(await conn.callTool('echo', { text: 'again' }))).toBe('again');
    await fx.restart();
    expect(text(await conn.callTool('echo', { text: 'restarted' }, { timeout: 15_000 }))).toBe('restarted');
    expect(spy.kinds.length).toBeGreaterThanOrEqual(2);
    expect(spy.kinds.every((k) => k === 'streamableHttp')).toBe(true);
    expect(conn.transport).toBe('streamableHttp');
  });

  it('a URL that is neither reports the Streamable HTTP failure and tries Streamable HTTP again next time', async () => {
    const fx = await startHttpFixture();
    const spy = spyTransports();
    const conn = connect(
      { name: 'nowhere', transport: 'streamableHttp', url: new URL('/nothing', fx.url).href },
      { transportFactory: spy.transportFactory, connection: { maxRestarts: 0 } },
    );
    await expect(conn.start()).rejects.toMatchObject({ kind: 'connection' });
    expect(spy.kinds).toEqual(['streamableHttp', 'sse']);
    expect(conn.transport).toBe('streamableHttp');
    await reach(conn, 'failed');
  });
});
