// OAuth secrets never leak (issue 11): a real login, a refresh, a revoked refresh and
// client-credentials connections (secret basic, secret post, private_key_jwt, a wrong secret) against
// oidc-provider and the protected MCP server, with EVERY channel captured: pino lines at trace level,
// all RuntimeEvents, thrown errors (message, toJSON, JSON, hint, stack), lastError, persisted actor
// snapshots (connection, breaker, credential: found on the inspection stream), inspection events, the
// dashboard's snapshot and SSE data, health reports, OpenTelemetry spans and console output. The raw
// secrets are learnt where they are born: the authorization server (codes, verifiers, client
// secrets and assertions, issued tokens), the fixture's client keys, and the token store, which is
// the one place allowed to hold them.
import { Writable } from 'node:stream';
import { merge } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { MemoryTokenStore } from '../../src/auth/MemoryTokenStore.js';
import type { OAuthConfig } from '../../src/config/serverConfig.js';
import { DashboardModel } from '../../src/dashboard/DashboardModel.js';
import type { DashboardMessage } from '../../src/dashboard/types.js';
import { type AzcoreError, isAzcoreError } from '../../src/errors/AzcoreError.js';
import { summarizeError } from '../../src/events/EventBus.js';
import { HealthChecker } from '../../src/observe/HealthChecker.js';
import { createLogger } from '../../src/observe/logger.js';
import { MetricsCollector } from '../../src/observe/metrics.js';
import { toPrometheus } from '../../src/observe/prometheus.js';
import { instrumentOpenTelemetry, type OpenTelemetryInstrumentation } from '../../src/otel/index.js';
import { keepRawSecretsForLeakTests, type RawSecret } from '../fixtures/oauth/rawSecrets.js';
import { createOtelKit } from '../otel/otelKit.js';
import { useOAuthServers } from '../support/oauthServers.js';

const servers = useOAuthServers({ accessTokenTtl: 60 });
let raw: readonly RawSecret[];
const otel = createOtelKit();
const store = new MemoryTokenStore();
const conns: ServerConnection[] = [];
/** Metrics folded from every connection's events: the report and its Prometheus text are channels too. */
const metrics = new MetricsCollector();
const instrumentations: OpenTelemetryInstrumentation[] = [];

/** Every channel's output, as text, to grep. */
const seen: { channel: string; text: string }[] = [];
const record = (channel: string, value: unknown) => {
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  seen.push({ channel, text: text ?? '' });
};
function recordError(channel: string, e: unknown): AzcoreError {
  expect(isAzcoreError(e)).toBe(true);
  const error = e as AzcoreError;
  record(`${channel} message`, error.message);
  record(`${channel} toJSON`, error.toJSON());
  record(`${channel} JSON`, JSON.stringify(error));
  record(`${channel} hint`, error.hint ?? '');
  record(`${channel} stack`, error.stack ?? '');
  record(`${channel} String`, String(error));
  return error;
}

/** pino at trace level, writing into `seen`. */
const logger = createLogger({
  level: 'trace',
  destination: new Writable({
    write(chunk, _enc, done) {
      record('log', String(chunk));
      done();
    },
  }),
});

/** Every actor the connections run (connection, breaker, credential), as the inspection stream shows them. */
const actors = new Map<string, AnyActorRef>();
const inspect = (event: InspectionEvent) => {
  const actor = event.actorRef as AnyActorRef;
  actors.set(actor.sessionId, actor);
  if (event.type === '@xstate.event') record(`inspection event ${actor.id}`, event.event);
  if (event.type === '@xstate.snapshot') {
    record(`inspection snapshot ${actor.id}`, actor.getPersistedSnapshot());
  }
};

/** The SDK and libraries write to the console too: that is a channel. */
const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const;
const originalConsole = consoleMethods.map((m) => [m, console[m]] as const);

function connect(
  name: string,
  oauth: OAuthConfig,
  options: { onAuthorizationUrl?: (url: URL) => Promise<void> } = {},
) {
  const conn = new ServerConnection({
    config: { name, transport: 'streamableHttp', url: servers.rs.url.href, oauth },
    auth: { store, ...options },
    logger,
    inspect,
  });
  conns.push(conn);
  conn.events$.subscribe((e) => record(`event ${e.type}`, e));
  metrics.observe(conn.events$);
  instrumentations.push(instrumentOpenTelemetry(conn, { tracer: otel.tracer, meter: otel.meter }));
  return conn;
}

/** The dashboard's and the health checker's view of the connections, as a team of them. */
function teamOf(list: ServerConnection[]) {
  const states = () =>
    Object.fromEntries(
      list.map((c) => [
        c.name,
        {
          state: c.state,
          breaker: c.breaker.state,
          available: c.available,
          optional: c.name !== 'human',
          tools: c.cachedTools?.length ?? 0,
          lastError: c.lastError && summarizeError(c.lastError),
        },
      ]),
    );
  return {
    name: 'leaky',
    state: 'ready',
    events$: merge(...list.map((c) => c.events$)),
    getServerStates: states,
    getMcpToolNames: () =>
      list
        .filter((c) => c.available)
        .flatMap((c) => (c.cachedTools ?? []).map((t) => `${c.name}__${t.name}`)),
    getServer: (name: string) => list.find((c) => c.name === name),
  };
}

/** Plays the person; the redirect's code is learnt here too (the authorization server records it as well). */
const person = async (url: URL) => {
  const redirect = await servers.as.completeAuthorization(url);
  await fetch(redirect);
};

beforeAll(async () => {
  for (const [method, original] of originalConsole) {
    console[method] = (...args: unknown[]) => {
      record(
        `console.${method}`,
        args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : a)),
      );
      original.apply(console, args);
    };
  }
  raw = keepRawSecretsForLeakTests(servers.as.provider);
});

afterAll(async () => {
  for (const i of instrumentations) i.stop();
  await Promise.all(conns.map((c) => c.close()));
  for (const [method, original] of originalConsole) console[method] = original;
  await otel.shutdown();
});

describe('OAuth secrets never leak', () => {
  it('login, refresh, revoked refresh and client credentials: no token, code, verifier, secret or key in any channel', async () => {
    // 1. A person logs in (authorization code + PKCE, dynamic registration), calls, the token expires, a call refreshes it.
    const human = connect('human', {});
    const model = new DashboardModel(teamOf([human]));
    const messages: DashboardMessage[] = [];
    model.messages$.subscribe((m) => messages.push(m));
    const needsLogin = await human.start().catch((e: unknown) => e);
    recordError('start without login', needsLogin);
    record('lastError (needs login)', human.lastError?.toJSON());
    record('lastError message (needs login)', human.lastError?.message);
    await human.login({ onAuthorizationUrl: person });
    await human.callTool('echo', { text: 'first' });
    servers.as.setAccessTokenTtl(3600);
    servers.rs.advanceTime(120);
    await human.callTool('echo', { text: 'after a refresh' });
    const refreshed = (await store.find(servers.rs.url.href)).find((r) => r.tokens?.refresh_token)?.tokens;
    expect(refreshed?.access_token).toBeTruthy();

    // 2. Machine to machine: secret basic, secret post, private_key_jwt, and a wrong secret.
    const basic = connect('m2m-basic', {
      grant: 'client_credentials',
      clientId: servers.as.clients.basic.clientId,
      clientSecret: servers.as.clients.basic.clientSecret,
      tokenEndpointAuthMethod: 'client_secret_basic',
    });
    const post = connect('m2m-post', {
      grant: 'client_credentials',
      clientId: servers.as.clients.post.clientId,
      clientSecret: servers.as.clients.post.clientSecret,
      tokenEndpointAuthMethod: 'client_secret_post',
    });
    const key = connect('m2m-key', {
      grant: 'client_credentials',
      clientId: servers.as.clients.privateKeyJwt.clientId,
      privateKey: servers.as.clients.privateKeyJwt.privateKeyPem,
      signingAlgorithm: servers.as.clients.privateKeyJwt.alg,
    });
    const WRONG_SECRET = 'wrong-secret-0f9e8d7c6b5a';
    const wrong = connect('m2m-wrong', {
      grant: 'client_credentials',
      clientId: servers.as.clients.basic.clientId,
      clientSecret: WRONG_SECRET,
    });
    for (const conn of [basic, post, key]) {
      await conn.start();
      await conn.callTool('echo', { text: conn.name });
    }
    recordError('wrong secret', await wrong.start().catch((e: unknown) => e));
    record('lastError (wrong secret)', wrong.lastError?.toJSON());
    expect(wrong.state).toBe('authFailed');

    // 3. The grant is revoked: the next refresh is refused, the call fails, the connection waits for a login.
    await servers.as.revokeGrants();
    servers.rs.advanceTime(7200); // past the refreshed token's hour
    const revoked = await human.callTool('echo', { text: 'x' }).catch((e: unknown) => e);
    expect(recordError('call after revocation', revoked).code).toBe('AUTH_REQUIRED');
    record('lastError (revoked)', human.lastError?.toJSON());
    record('lastError message (revoked)', human.lastError?.message);
    expect(human.state).toBe('authorizing');

    // Health and the dashboard over all of them.
    const team = teamOf([human, basic, post, key, wrong]);
    const health = new HealthChecker(team, { intervalMs: 0, logger });
    const report = await health.checkHealth();
    record('health report', report);
    health.stop();
    const board = new DashboardModel(team);
    const boardMessages: DashboardMessage[] = [];
    board.messages$.subscribe((m) => boardMessages.push(m));
    record('dashboard snapshot (all)', board.snapshot());
    board.close();
    record('dashboard snapshot (human)', model.snapshot());
    for (const m of [...messages, ...boardMessages])
      record(`dashboard SSE ${m.type}`, `event: ${m.type}\ndata: ${JSON.stringify(m.data)}\n\n`);
    model.close();

    record('metrics report', metrics.getMetrics());
    record('prometheus', toPrometheus(metrics.getMetrics()));
    metrics.close();

    // Persisted snapshots: every connection, breaker and credential actor.
    for (const conn of conns) {
      record(`persisted snapshot ${conn.name}`, conn.actor.getPersistedSnapshot());
    }
    for (const actor of actors.values())
      record(`persisted snapshot actor ${actor.id}`, actor.getPersistedSnapshot());
    const credentialSnapshots = [...actors.values()].filter(
      (a) => 'refreshes' in ((a.getSnapshot() as { context?: object }).context ?? {}),
    );
    expect(credentialSnapshots.length).toBeGreaterThanOrEqual(4);

    // OpenTelemetry: every finished span with its attributes, events and status.
    for (const i of instrumentations) i.stop();
    instrumentations.length = 0;
    for (const span of otel.finished()) {
      record(`span ${span.name}`, {
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        status: span.status,
        links: span.links,
      });
    }
    expect(otel.finished().some((s) => s.name === 'auth.login human')).toBe(true);
    expect(otel.finished().some((s) => s.name === 'auth.refresh human')).toBe(true);

    // What the secrets are: everything the authorization server saw or issued, the clients' keys, the store.
    const byKind = (kind: RawSecret['kind']) => raw.filter((s) => s.kind === kind).map((s) => s.value);
    for (const kind of [
      'authorization_code',
      'code_verifier',
      'access_token',
      'refresh_token',
      'client_secret',
      'client_assertion',
    ] as const) {
      expect(byKind(kind).length, kind).toBeGreaterThan(0);
    }
    expect(byKind('client_secret')).toEqual(
      expect.arrayContaining([
        servers.as.clients.basic.clientSecret,
        servers.as.clients.post.clientSecret,
        WRONG_SECRET,
      ]),
    );
    const pem = servers.as.clients.privateKeyJwt.privateKeyPem;
    const pemBody = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const stored = (await store.find(servers.rs.url.href)).flatMap((r) =>
      [r.tokens?.access_token, r.tokens?.refresh_token, r.tokens?.id_token].filter((v): v is string => !!v),
    );
    const secrets = new Map<string, string>([
      ...raw.map((s) => [s.value, s.kind] as [string, string]),
      ...stored.map((v) => [v, 'stored token'] as [string, string]),
      [pemBody, 'private key (PEM body)'],
      ...pem
        .split('\n')
        .filter((line) => line.length >= 32 && !line.startsWith('-----'))
        .map((line) => [line, 'private key (PEM line)'] as [string, string]),
      [String(servers.as.clients.privateKeyJwt.privateJwk.d), 'private key (JWK d)'],
    ]);

    // Positive control: the grep finds a secret where one is allowed to be (the token store).
    const storeText = JSON.stringify(await store.find(servers.rs.url.href));
    expect(stored.some((v) => storeText.includes(v))).toBe(true);

    expect(seen.length).toBeGreaterThan(100);
    expect(seen.some((s) => s.channel === 'log')).toBe(true);
    if (process.env.SHOW_CHANNELS) for (const s of seen) console.info(s.channel, s.text.slice(0, 300));
    const leaks = seen.flatMap(({ channel, text }) =>
      [...secrets]
        .filter(([value]) => text.includes(value))
        .map(([value, kind]) => {
          const at = text.indexOf(value);
          return `${channel}: ${kind} in …${text.slice(Math.max(0, at - 120), at)}<SECRET>…`;
        }),
    );
    expect(leaks).toEqual([]);
  });
});
