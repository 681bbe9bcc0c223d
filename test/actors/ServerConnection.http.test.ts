import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ServerConnection, type ServerConnectionOptions } from '../../src/actors/ServerConnection.js';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import {
  type HttpFixture,
  startHttpFixture,
  startV2HttpFixture,
  stopAllFixtures,
} from '../fixtures/index.js';
import { startEverythingHttp } from '../transports/everythingHttp.js';
import { quietLogger, reach, record } from './connectionTestKit.js';

const open: ServerConnection[] = [];
function connect(config: ServerConfig, extra: Partial<ServerConnectionOptions> = {}) {
  const conn = new ServerConnection({ config, logger: quietLogger, ...extra });
  open.push(conn);
  return conn;
}
const http = (fx: HttpFixture, extra: Partial<ServerConfig> = {}): ServerConfig =>
  ({
    name: 'web',
    transport: 'streamableHttp',
    url: fx.url.href,
    connectTimeoutMs: 5_000,
    ...extra,
  }) as ServerConfig;
const text = (r: { content: unknown[] }) => (r.content[0] as { text?: string } | undefined)?.text;
const nextPing = (conn: ServerConnection) =>
  firstValueFrom(conn.events$.pipe(filter((e) => e.type === 'server.ping')));

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(stopAllFixtures);

describe('ServerConnection over Streamable HTTP (fixture server)', () => {
  it('connects and calls tools', async () => {
    const fx = await startHttpFixture();
    const conn = connect(http(fx));
    await conn.start();
    expect(text(await conn.callTool('echo', { text: 'over http' }))).toBe('over http');
    expect((await conn.listTools()).length).toBeGreaterThan(5);
  });

  it('404 session expired: re-initializes with a fresh session and the call succeeds', async () => {
    const fx = await startHttpFixture();
    const conn = connect(http(fx));
    await conn.start();
    const rec = record(conn);
    await fx.admin('expire-sessions');
    expect(text(await conn.callTool('echo', { text: 'again' }))).toBe('again');
    expect(rec.ofType('call.failed')[0]?.error.code).toBe('SESSION_EXPIRED');
    expect(rec.ofType('call.retried')).toHaveLength(1);
    expect(rec.states()).toEqual(['idle', 'reconnecting', 'connecting', 'ready']);
  });

  it('401 on a call: AuthError, authFailed, no blind retries; reconnect() after the fix recovers', async () => {
    const fx = await startHttpFixture();
    const conn = connect(http(fx));
    await conn.start();
    const rec = record(conn);
    await fx.admin('status', { code: 401 });
    await expect(conn.callTool('echo', { text: 'x' })).rejects.toMatchObject({
      kind: 'auth',
      code: 'HTTP_401',
    });
    expect(conn.state).toBe('authFailed');
    await expect(conn.callTool('echo', { text: 'x' })).rejects.toMatchObject({ kind: 'auth' });
    expect(rec.ofType('call.retried')).toHaveLength(0);
    await fx.admin('reset');
    conn.reconnect();
    await reach(conn, 'ready');
    expect(text(await conn.callTool('echo', { text: 'fixed' }))).toBe('fixed');
  });

  it('403 at connect: start() rejects with AuthError and the actor waits in authFailed', async () => {
    const fx = await startHttpFixture({ faults: ['forbid'] });
    const conn = connect(http(fx));
    await expect(conn.start()).rejects.toMatchObject({ kind: 'auth', code: 'HTTP_403', server: 'web' });
    expect(conn.state).toBe('authFailed');
  });

  it('a bearer token in headers is sent; a wrong one is an AuthError', async () => {
    const fx = await startHttpFixture({ faults: ['require-token=sekret-token'] });
    const good = connect(http(fx, { name: 'good', headers: { Authorization: 'Bearer sekret-token' } }));
    await good.start();
    expect(text(await good.callTool('echo', { text: 'authorized' }))).toBe('authorized');
    const bad = connect(http(fx, { name: 'bad', headers: { Authorization: 'Bearer wrong' } }));
    await expect(bad.start()).rejects.toMatchObject({ kind: 'auth', code: 'HTTP_401', server: 'bad' });
  });

  it('500s count against the breaker (not retried: the server got the request); then calls fail fast', async () => {
    const fx = await startHttpFixture();
    const conn = connect(http(fx), { breaker: { strategy: { kind: 'consecutive', threshold: 2 } } });
    await conn.start();
    await fx.admin('status', { code: 500 });
    const rec = record(conn);
    await expect(conn.callTool('echo', { text: '1' })).rejects.toMatchObject({
      kind: 'connection',
      code: 'HTTP_500',
    });
    await expect(conn.callTool('echo', { text: '2' })).rejects.toMatchObject({
      kind: 'connection',
      code: 'HTTP_500',
    });
    expect(conn.breaker.state).toBe('open');
    await expect(conn.callTool('echo', { text: '3' })).rejects.toMatchObject({
      kind: 'circuitOpen',
      server: 'web',
    });
    expect(rec.ofType('call.retried')).toHaveLength(0);
    expect(conn.state).toBe('degraded');
  });

  it('a dead HTTP server without an event stream is found by keepalive pings, and the connection recovers when it is back', async () => {
    const clock = new SimulatedClock();
    const fx = await startHttpFixture({ faults: ['no-stream'] });
    const conn = connect(http(fx), { clock, connection: { pingIntervalMs: 1_000, maxMissedPings: 2 } });
    await conn.start();
    const rec = record(conn);
    const okPing = nextPing(conn);
    clock.increment(1_000);
    expect(await okPing).toMatchObject({ ok: true });
    await fx.kill();
    const firstMiss = nextPing(conn);
    const degraded = reach(conn, 'degraded');
    clock.increment(1_000);
    expect(await firstMiss).toMatchObject({ ok: false, error: { kind: 'connection' } });
    await degraded;
    const lost = reach(conn, 'reconnecting');
    clock.increment(1_000);
    await lost;
    await fx.restart();
    const ready = reach(conn, 'ready');
    clock.increment(conn.actor.getSnapshot().context.reconnectDelayMs);
    await ready;
    expect(text(await conn.callTool('echo', { text: 'recovered' }))).toBe('recovered');
    expect(rec.states()).toEqual(['idle', 'degraded', 'reconnecting', 'connecting', 'ready']);
  });

  for (const era of ['2025', '2026-07-28'] as const) {
    it(`${era}: a killed HTTP server is seen when its event stream drops, not at the next keepalive period`, async () => {
      // The period is ten minutes: only the dropped stream's probe (and the recheck one backoff step
      // after a missed ping) can take the connection to degraded and on to reconnecting in time.
      const fx = era === '2025' ? await startHttpFixture() : await startV2HttpFixture();
      const conn = connect(http(fx), { connection: { pingIntervalMs: 600_000, backoffBaseMs: 100 } });
      await conn.start();
      const rec = record(conn);
      const degraded = reach(conn, 'degraded');
      const reconnecting = reach(conn, 'reconnecting');
      await fx.kill();
      await degraded;
      await reconnecting;
      const pings = rec.ofType('server.ping');
      expect(pings.length).toBeGreaterThanOrEqual(2);
      expect(pings.every((p) => !p.ok && p.error?.kind === 'connection')).toBe(true);
      expect(rec.states().slice(0, 3)).toEqual(['idle', 'degraded', 'reconnecting']);
    });
  }

  it('a crashed HTTP server mid-call: typed connection error, reconnect once it is back', async () => {
    const fx = await startHttpFixture();
    const conn = connect(http(fx), { connection: { backoffBaseMs: 10, backoffMaxMs: 50 } });
    await conn.start();
    const crash = conn.callTool('crash');
    await expect(crash).rejects.toMatchObject({ kind: 'connection', server: 'web' });
    await fx.restart();
    expect(text(await conn.callTool('echo', { text: 'after crash' }, { timeout: 10_000 }))).toBe(
      'after crash',
    );
  });
});

describe('ServerConnection over legacy SSE (fixture server)', () => {
  it('connects and calls tools', async () => {
    const fx = await startHttpFixture();
    const conn = connect({ name: 'legacy', transport: 'sse', url: fx.sseUrl.href, connectTimeoutMs: 5_000 });
    await conn.start();
    expect(text(await conn.callTool('echo', { text: 'over sse' }))).toBe('over sse');
  });

  it('a refused SSE connection fails start() fast with a typed error and no retry loop left', async () => {
    const fx = await startHttpFixture();
    const url = fx.sseUrl.href;
    await fx.kill();
    const conn = connect({ name: 'gone', transport: 'sse', url }, { connection: { maxRestarts: 0 } });
    await expect(conn.start()).rejects.toMatchObject({ kind: 'connection', server: 'gone' });
    expect(conn.state).toBe('failed');
  });
});

describe('ServerConnection against @modelcontextprotocol/server-everything (Streamable HTTP, 127.0.0.1)', () => {
  it('connects, lists tools and calls echo', async () => {
    const everything = await startEverythingHttp('streamableHttp');
    try {
      const conn = connect({
        name: 'everything',
        transport: 'streamableHttp',
        url: `${everything.base}/mcp`,
      });
      await conn.start();
      const tools = await conn.listTools();
      expect(tools.map((t) => t.name)).toContain('echo');
      const result = await conn.callTool('echo', { message: 'hello everything' });
      expect(text(result)).toMatch(/hello everything/);
      await conn.close();
    } finally {
      await everything.kill();
    }
  });
});
