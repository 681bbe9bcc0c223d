// List operations and OAuth work as OpenTelemetry spans, folded from `list.completed`, `auth.login`
// and `auth.credential` events: real fixture MCP servers, a real oidc-provider, the SDK's in-memory exporter.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { MemoryTokenStore } from '../../src/auth/MemoryTokenStore.js';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { instrumentOpenTelemetry, type OpenTelemetryInstrumentation } from '../../src/otel/index.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { startHttpFixture, stdioFixture, stopAllFixtures } from '../fixtures/index.js';
import { startAuthorizationServer } from '../fixtures/oauth/authorizationServer.js';
import { startProtectedMcpServer } from '../fixtures/oauth/protectedMcpServer.js';
import { createOtelKit, msOf } from './otelKit.js';

const otel = createOtelKit();
const open: { conn: ServerConnection; instrumentation: OpenTelemetryInstrumentation }[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const { conn, instrumentation } of open.splice(0)) {
    await conn.close();
    instrumentation.stop();
  }
  for (const close of closers.splice(0)) await close();
  otel.spans.reset();
});
afterAll(async () => {
  await stopAllFixtures();
  await otel.shutdown();
});

function watch(options: ConstructorParameters<typeof ServerConnection>[0]) {
  const conn = new ServerConnection({ logger: quietLogger, ...options });
  const events: RuntimeEvent[] = [];
  conn.events$.subscribe((e) => events.push(e));
  const instrumentation = instrumentOpenTelemetry(conn, { tracer: otel.tracer, meter: otel.meter });
  open.push({ conn, instrumentation });
  return { conn, events };
}

type ListEvent = Extract<RuntimeEvent, { type: 'list.completed' }>;
const listings = (events: RuntimeEvent[]) =>
  events.filter((e): e is ListEvent => e.type === 'list.completed');

describe('list operations', () => {
  it('tools/list is a CLIENT span `{method} {server}` timed by its event; a cached answer has none', async () => {
    const config: ServerConfig = {
      name: 'fx',
      transport: 'stdio',
      connectTimeoutMs: 8_000,
      ...stdioFixture(),
    };
    const { conn, events } = watch({ config });
    await conn.start();
    const tools = await otel.tracer.startActiveSpan('caller', async (caller) => {
      const listed = await conn.listTools();
      caller.end();
      return listed;
    });
    await conn.listTools(); // from the cache: no request went out
    expect(listings(events).filter((e) => e.fromCache)).toHaveLength(1);
    const sent = listings(events).filter((e) => !e.fromCache);
    expect(sent).toHaveLength(1);
    const spans = otel.finished('tools/list fx');
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.parentSpanContext?.spanId).toBe(otel.finished('caller')[0]?.spanContext().spanId);
    expect(span?.attributes).toMatchObject({
      'mcp.method.name': 'tools/list',
      'azcore.server.name': 'fx',
      'azcore.list.count': tools.length,
      'network.transport': 'pipe',
      'mcp.protocol.version': conn.protocol?.version,
    });
    expect(span?.status.code).not.toBe(SpanStatusCode.ERROR);
    const event = sent[0] as ListEvent;
    expect(msOf(span?.endTime as [number, number])).toBeCloseTo(event.at, 0);
    expect(msOf(span?.startTime as [number, number])).toBeCloseTo(event.at - event.durationMs, 0);
    const points = await otel.histogram('mcp.client.operation.duration');
    const listed = points.filter((p) => p.attributes['mcp.method.name'] === 'tools/list');
    expect(listed.reduce((n, p) => n + p.count, 0)).toBe(1);
  });

  it('a failed listing: span status ERROR with error.type, and the failure in the duration metric', async () => {
    const web = await startHttpFixture();
    const { conn, events } = watch({
      config: { name: 'web', transport: 'streamableHttp', url: web.url.href, connectTimeoutMs: 8_000 },
    });
    await conn.start();
    await web.admin('status', { code: 500 });
    await expect(conn.listTools()).rejects.toThrow();
    expect(listings(events).filter((e) => !e.ok)).toHaveLength(1);
    const [span] = otel.finished('tools/list web');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toEqual(expect.any(String));
    expect(span?.attributes['network.transport']).toBe('tcp');
    expect(span?.attributes['azcore.list.count']).toBeUndefined();
    const points = await otel.histogram('mcp.client.operation.duration');
    expect(
      points.some((p) => p.attributes['mcp.method.name'] === 'tools/list' && p.attributes['error.type']),
    ).toBe(true);
  });
});

describe('OAuth', () => {
  async function oauthServers() {
    const as = await startAuthorizationServer({ accessTokenTtl: 60 });
    const rs = await startProtectedMcpServer({ issuer: as.issuer });
    closers.push(
      () => rs.close(),
      () => as.close(),
    );
    const person = async (url: URL) => {
      await fetch(await as.completeAuthorization(url));
    };
    return { as, rs, person };
  }

  it('a login is one span with its steps as span events; a refresh on a 401 is its own span; no token in any', async () => {
    const { as, rs, person } = await oauthServers();
    const store = new MemoryTokenStore();
    const { conn } = watch({
      config: { name: 'secured', transport: 'streamableHttp', url: rs.url.href, oauth: {} },
      auth: { store },
    });
    await otel.tracer.startActiveSpan('operator', async (operator) => {
      await conn.login({ onAuthorizationUrl: person });
      operator.end();
    });
    const [login] = otel.finished('auth.login secured');
    expect(login?.kind).toBe(SpanKind.INTERNAL);
    expect(login?.parentSpanContext?.spanId).toBe(otel.finished('operator')[0]?.spanContext().spanId);
    expect(login?.events.map((e) => e.name)).toEqual(
      expect.arrayContaining(['auth.login.awaitingUser', 'auth.login.exchanging', 'auth.login.authorized']),
    );
    expect(login?.attributes['azcore.auth.step']).toBe('authorized');
    expect(login?.status.code).not.toBe(SpanStatusCode.ERROR);

    // The access token expires at the resource server: the next call meets a 401 and refreshes.
    as.setAccessTokenTtl(3600);
    rs.advanceTime(120);
    await conn.callTool('echo', { text: 'after expiry' });
    const [refresh] = otel.finished('auth.refresh secured');
    expect(refresh?.kind).toBe(SpanKind.CLIENT);
    expect(refresh?.parentSpanContext).toBeUndefined();
    expect(refresh?.attributes['azcore.auth.credential.to']).toBe('valid');
    expect(Date.parse(String(refresh?.attributes['azcore.auth.expires_at']))).toBeGreaterThan(Date.now());
    expect(refresh?.status.code).not.toBe(SpanStatusCode.ERROR);

    const [record] = await store.find(rs.url.href);
    const everything = JSON.stringify(
      otel
        .finished()
        .map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    );
    for (const secret of [record?.tokens?.access_token, record?.tokens?.refresh_token]) {
      expect(secret).toBeTruthy();
      expect(everything).not.toContain(secret);
    }
  });

  it('a refused refresh (revoked grant) ends the refresh span in error; a failed login is an error span', async () => {
    const { as, rs, person } = await oauthServers();
    const { conn } = watch({
      config: { name: 'secured', transport: 'streamableHttp', url: rs.url.href, oauth: {} },
      auth: { store: new MemoryTokenStore() },
    });
    await conn.login({ onAuthorizationUrl: person });
    await as.revokeGrants();
    rs.advanceTime(120);
    await expect(conn.callTool('echo', { text: 'x' })).rejects.toThrow(/azcore auth login secured/);
    const [refresh] = otel.finished('auth.refresh secured');
    expect(refresh?.status.code).toBe(SpanStatusCode.ERROR);
    expect(refresh?.attributes['azcore.auth.credential.to']).toBe('empty');
    expect(refresh?.attributes['error.type']).toEqual(expect.any(String));

    const denied = await conn
      .login({
        onAuthorizationUrl: async (url) =>
          void (await fetch(await as.completeAuthorization(url, { deny: true }))),
      })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(Error);
    const failed = otel.finished('auth.login secured').at(-1);
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed?.attributes['azcore.auth.step']).toBe('failed');
    expect(failed?.attributes['error.type']).toEqual(expect.any(String));
  });
});
