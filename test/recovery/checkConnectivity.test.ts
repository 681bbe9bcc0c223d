import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConnectivity, isReachable } from '../../src/recovery/checkConnectivity.js';
import { type HttpFixture, startHttpFixture, stopAllFixtures } from '../fixtures/index.js';
import { DEAD_URL } from './recoveryKit.js';

let web: HttpFixture;
beforeAll(async () => {
  web = await startHttpFixture();
});
afterAll(stopAllFixtures);

describe('checkConnectivity: a real MCP handshake, one Outcome, never a throw', () => {
  it('a live Streamable HTTP server: ok, with its name and capabilities, session closed after', async () => {
    const probe = await checkConnectivity(web.url.href);
    expect(probe).toMatchObject({
      status: 'success',
      value: { transport: 'streamableHttp', url: web.url.href },
    });
    if (probe.status !== 'success') return;
    expect(probe.value.server?.name).toBeTruthy();
    expect(probe.value.capabilities).toContain('tools');
    expect(probe.value.latencyMs).toBeGreaterThanOrEqual(0);
    expect(probe.attempts).toHaveLength(1);
    const state = (await web.admin('state')) as { sessions: number };
    expect(state.sessions).toBe(0);
  });

  it('a /sse URL is probed over legacy SSE', async () => {
    const probe = await checkConnectivity(web.sseUrl.href);
    expect(probe).toMatchObject({ status: 'success', value: { transport: 'sse' } });
  });

  it('a refused port: not reachable, a retryable connection error naming the host', async () => {
    const probe = await checkConnectivity(DEAD_URL);
    expect(probe.status).toBe('failed');
    if (probe.status !== 'failed') return;
    expect(isReachable(probe.error)).toBe(false);
    expect(probe.reasons).toEqual([expect.stringMatching(/^127\.0\.0\.1-9 failed: connection /)]);
    expect(probe.error.kind).toBe('connection');
    expect(probe.error.retryable).toBe(true);
    expect(probe.error.message).toMatch(/^\[127\.0\.0\.1-9\]/);
  });

  it('a server answering 401 or 500: reachable, with a typed error (the guide saw both as "down")', async () => {
    try {
      await web.admin('status', { code: 401 });
      const locked = await checkConnectivity(web.url.href);
      expect(locked).toMatchObject({ status: 'failed', error: { kind: 'auth', code: 'HTTP_401' } });
      expect(locked.error && isReachable(locked.error)).toBe(true);
      await web.admin('status', { code: 500 });
      const broken = await checkConnectivity(web.url.href);
      expect(broken).toMatchObject({ status: 'failed', error: { code: 'HTTP_500' } });
      expect(broken.error && isReachable(broken.error)).toBe(true);
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
      expect(probe).toMatchObject({
        status: 'failed',
        error: { kind: 'timeout', step: 'connectivity check' },
      });
      expect(probe.error && isReachable(probe.error)).toBe(false);
      expect(probe.attempts[0]?.durationMs).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('an invalid URL or an aborted signal: a typed failure, not an exception', async () => {
    const bad = await checkConnectivity('not a url');
    expect(bad).toMatchObject({ status: 'failed', error: { kind: 'configuration' } });
    expect(bad.error && isReachable(bad.error)).toBe(false);
    const controller = new AbortController();
    controller.abort();
    const aborted = await checkConnectivity(web.url.href, { signal: controller.signal });
    expect(aborted).toMatchObject({ status: 'failed', error: { kind: 'cancelled' } });
  });
});
