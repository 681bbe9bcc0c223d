import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConnectivity } from '../../src/recovery/checkConnectivity.js';
import { type HttpFixture, startHttpFixture, stopAllFixtures } from '../fixtures/index.js';
import { DEAD_URL } from './recoveryKit.js';

let web: HttpFixture;
beforeAll(async () => {
  web = await startHttpFixture();
});
afterAll(stopAllFixtures);

describe('checkConnectivity: a real MCP handshake, never a throw', () => {
  it('a live Streamable HTTP server: ok, with its name and capabilities, session closed after', async () => {
    const probe = await checkConnectivity(web.url.href);
    expect(probe).toMatchObject({ ok: true, transport: 'streamableHttp', url: web.url.href });
    if (!probe.ok) return;
    expect(probe.server?.name).toBeTruthy();
    expect(probe.capabilities).toContain('tools');
    expect(probe.latencyMs).toBeGreaterThanOrEqual(0);
    const state = (await web.admin('state')) as { sessions: number };
    expect(state.sessions).toBe(0);
  });

  it('a /sse URL is probed over legacy SSE', async () => {
    const probe = await checkConnectivity(web.sseUrl.href);
    expect(probe).toMatchObject({ ok: true, transport: 'sse' });
  });

  it('a refused port: not reachable, a retryable connection error naming the host', async () => {
    const probe = await checkConnectivity(DEAD_URL);
    expect(probe).toMatchObject({ ok: false, reachable: false });
    if (probe.ok) return;
    expect(probe.error.kind).toBe('connection');
    expect(probe.error.retryable).toBe(true);
    expect(probe.error.message).toMatch(/^\[127\.0\.0\.1-9\]/);
  });

  it('a server answering 401 or 500: reachable, with a typed error (the guide saw both as "down")', async () => {
    try {
      await web.admin('status', { code: 401 });
      const locked = await checkConnectivity(web.url.href);
      expect(locked).toMatchObject({ ok: false, reachable: true });
      if (!locked.ok) expect(locked.error).toMatchObject({ kind: 'auth', code: 'HTTP_401' });
      await web.admin('status', { code: 500 });
      const broken = await checkConnectivity(web.url.href);
      expect(broken).toMatchObject({ ok: false, reachable: true });
      if (!broken.ok) expect(broken.error.code).toBe('HTTP_500');
    } finally {
      await web.admin('reset');
    }
  });

  it('a host that accepts connections and never answers: a timeout within the budget', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const probe = await checkConnectivity(`http://127.0.0.1:${port}/mcp`, { timeoutMs: 300 });
      expect(probe).toMatchObject({ ok: false, reachable: false });
      if (!probe.ok) expect(probe.error.kind).toBe('timeout');
      expect(probe.latencyMs).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('an invalid URL or an aborted signal: a typed failure, not an exception', async () => {
    const bad = await checkConnectivity('not a url');
    expect(bad).toMatchObject({ ok: false, reachable: false });
    if (!bad.ok) expect(bad.error.kind).toBe('configuration');
    const controller = new AbortController();
    controller.abort();
    const aborted = await checkConnectivity(web.url.href, { signal: controller.signal });
    expect(aborted).toMatchObject({ ok: false });
    if (!aborted.ok) expect(aborted.error.kind).toBe('cancelled');
  });
});
