import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { MemoryTokenStore } from '../../src/auth/MemoryTokenStore.js';
import type { OAuthConfig } from '../../src/config/serverConfig.js';
import { isAzcoreError } from '../../src/errors/AzcoreError.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { useOAuthServers } from '../support/oauthServers.js';

const servers = useOAuthServers({ per: 'test', accessTokenTtl: 300 });
const open: ServerConnection[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function connect(
  oauth: OAuthConfig,
  store = new MemoryTokenStore(),
  extra: Partial<ConstructorParameters<typeof ServerConnection>[0]> = {},
) {
  const conn = new ServerConnection({
    config: { name: 'secured', transport: 'streamableHttp', url: servers.rs.url.href, oauth },
    auth: { store },
    ...extra,
  });
  open.push(conn);
  const events: RuntimeEvent[] = [];
  conn.events$.subscribe((e) => events.push(e));
  return { conn, store, events };
}

/** Plays the person: opens the URL at the authorization server, consents, follows the redirect to the loopback listener. */
const person = async (url: URL) => {
  const redirect = await servers.as.completeAuthorization(url);
  await fetch(redirect);
};

const whoami = async (conn: ServerConnection) => {
  const result = await conn.callTool('whoami', {});
  const first = result.content[0] as { text: string };
  return JSON.parse(first.text) as { sub?: string; client_id?: string; scope?: string };
};

describe('OAuth client credentials (machine to machine) against oidc-provider', () => {
  it.each(['basic', 'post'] as const)(
    'client_secret_%s: connects, calls with the granted token, stores it',
    async (kind) => {
      const client = servers.as.clients[kind];
      const { conn, store } = connect({
        grant: 'client_credentials',
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        tokenEndpointAuthMethod: client.authMethod,
      });
      await conn.start();
      expect(conn.state).toBe('ready');
      expect((await whoami(conn)).client_id).toBe(client.clientId);
      expect(servers.as.tokenRequests.map((r) => [r.grantType, r.authMethod])).toEqual([
        ['client_credentials', client.authMethod],
      ]);
      const [record] = await store.find(servers.rs.url.href);
      expect(record).toMatchObject({
        issuer: servers.as.issuer,
        resource: servers.rs.url.href,
        clientId: client.clientId,
      });
      expect(record?.tokens?.access_token).toBe(servers.rs.lastBearer);
    },
  );

  it('private_key_jwt: the client asserts itself with its ES256 key', async () => {
    const client = servers.as.clients.privateKeyJwt;
    const { conn } = connect({
      grant: 'client_credentials',
      clientId: client.clientId,
      privateKey: client.privateKeyPem,
      signingAlgorithm: client.alg,
    });
    await conn.start();
    expect((await whoami(conn)).client_id).toBe(client.clientId);
    expect(servers.as.tokenRequests.at(-1)?.authMethod).toBe('private_key_jwt');
  });

  it('a wrong secret is an AuthError naming the server, the OAuth error and what to fix; the connection parks in authFailed', async () => {
    const { conn } = connect({
      grant: 'client_credentials',
      clientId: servers.as.clients.basic.clientId,
      clientSecret: 'not-the-secret',
    });
    const error = await conn.start().catch((e: unknown) => e);
    expect(isAzcoreError(error) && error.kind).toBe('auth');
    expect(String(error)).toMatch(/\[secured\].*invalid_client.*oauth\.clientId/s);
    expect(String(error)).not.toContain('not-the-secret');
    expect(conn.state).toBe('authFailed');
  });
});

describe('OAuth authorization code + PKCE with dynamic registration', () => {
  it('without a login handler, start() fails at once with AUTH_REQUIRED and the command to run; nothing is registered', async () => {
    const { conn } = connect({});
    const error = await conn.start().catch((e: unknown) => e);
    expect(isAzcoreError(error) && error.code).toBe('AUTH_REQUIRED');
    expect(String(error)).toContain('azcore auth login secured');
    expect(conn.state).toBe('authorizing');
    expect(conn.actor.getSnapshot().matches({ authorizing: 'needsLogin' })).toBe(true);
    expect(servers.as.registrations).toHaveLength(0);
    expect(servers.as.tokenRequestCount()).toBe(0);
  });

  it('login(): registers, sends the person to the URL, takes the code on the loopback listener, exchanges it and connects', async () => {
    const { conn, store, events } = connect({ scope: 'admin' });
    const seen: string[] = [];
    conn.actor.subscribe((s) => seen.push(JSON.stringify(s.value)));
    await conn.login({
      onAuthorizationUrl: async (url) => {
        expect(url.searchParams.get('code_challenge_method')).toBe('S256');
        // The server's WWW-Authenticate scope wins over the config's fallback; offline_access asks
        // for a refresh token because the authorization server offers it.
        expect(url.searchParams.get('scope')).toBe('tools:read offline_access');
        expect(url.searchParams.get('resource')).toBe(servers.rs.url.href);
        expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
        expect(conn.authorizationUrl?.href).toBe(url.href);
        await person(url);
      },
    });
    expect(conn.state).toBe('ready');
    expect(await whoami(conn)).toMatchObject({ sub: 'user-1', scope: 'tools:read' });
    expect(servers.as.registrations).toHaveLength(1);
    expect(servers.as.registrations[0]?.applicationType).toBe('native');
    expect(servers.as.tokenRequests.map((r) => r.grantType)).toEqual(['authorization_code']);
    // The states the diagram draws, in order.
    const path = seen.filter((v, i) => v !== seen[i - 1]);
    for (const step of ['needsLogin', 'discovering', 'awaitingUser', 'exchanging']) {
      expect(path).toContain(JSON.stringify({ authorizing: step }));
    }
    expect(events.filter((e) => e.type === 'auth.login').map((e) => (e as { step: string }).step)).toEqual([
      'started',
      'awaitingUser',
      'exchanging',
      'authorized',
    ]);
    const [record] = await store.find(servers.rs.url.href);
    expect(record?.clientId).toBe(servers.as.registrations[0]?.clientId);
    expect(record?.tokens?.refresh_token).toBeTruthy();
    // Secrets never reach the event stream.
    const stream = JSON.stringify(events);
    for (const secret of [record?.tokens?.access_token, record?.tokens?.refresh_token]) {
      expect(stream).not.toContain(secret);
    }
  });

  it('a second connection over the same store connects with the stored tokens, no login, no new grant', async () => {
    const store = new MemoryTokenStore();
    const first = connect({}, store).conn;
    await first.login({ onAuthorizationUrl: person });
    await first.close();
    const { conn } = connect({}, store);
    await conn.start();
    expect((await whoami(conn)).sub).toBe('user-1');
    expect(servers.as.tokenRequestCount('authorization_code')).toBe(1);
    expect(servers.as.registrations).toHaveLength(1);
  });

  it('auth.onAuthorizationUrl on the connection: start() runs the login by itself', async () => {
    const { conn } = connect({}, new MemoryTokenStore(), {
      auth: { store: new MemoryTokenStore(), onAuthorizationUrl: person },
    });
    await conn.start();
    expect((await whoami(conn)).sub).toBe('user-1');
  });

  it('a denied consent fails the login with access_denied and parks the connection in authFailed', async () => {
    const { conn } = connect({});
    const error = await conn
      .login({
        onAuthorizationUrl: async (url) => {
          await fetch(await servers.as.completeAuthorization(url, { deny: true }));
        },
      })
      .catch((e: unknown) => e);
    expect(isAzcoreError(error) && error.kind).toBe('auth');
    expect(conn.state).toBe('authFailed');
  });
});

describe('step-up: a call that needs more scope', () => {
  it('403 insufficient_scope: the call fails with AUTH_REQUIRED, the next login asks for the scope the server named', async () => {
    const { conn, events } = connect({});
    await conn.login({ onAuthorizationUrl: person });
    const error = await conn.callTool('admin_reset', {}).catch((e: unknown) => e);
    expect(isAzcoreError(error) && error.code).toBe('AUTH_REQUIRED');
    expect(conn.state).toBe('authorizing');
    const asked: string[] = [];
    await conn.login({
      onAuthorizationUrl: async (url) => {
        asked.push(url.searchParams.get('scope') ?? '');
        await person(url);
      },
    });
    expect(asked[0]?.split(' ')).toEqual(expect.arrayContaining(['tools:read', 'tools:call', 'admin']));
    const result = await conn.callTool('admin_reset', {});
    expect((result.content[0] as { text: string }).text).toBe('reset done');
    expect(events.filter((e) => e.type === 'auth.login' && e.step === 'authorized')).toHaveLength(2);
  });
});

describe('token lifecycle: one refresh for many calls, revocation, expiry', () => {
  it('refreshes refreshSkewMs before expiry on the injected clock, once, and calls go on with the new token', async () => {
    servers.as.setAccessTokenTtl(120);
    const clock = new SimulatedClock();
    const store = new MemoryTokenStore();
    const { conn, events } = connect({}, store, { clock, auth: { store, refreshSkewMs: 30_000 } });
    await conn.login({ onAuthorizationUrl: person });
    const first = servers.rs.lastBearer;
    const [before] = await store.find(servers.rs.url.href);
    expect(before?.expiresAt).toBe(clock.now() + 120_000);
    const credentialSteps = () =>
      events.filter((e) => e.type === 'auth.credential').map((e) => `${e.from}->${e.to}`);
    expect(credentialSteps()).toEqual(['empty->valid']);
    const refreshed = firstValueFrom(
      conn.events$.pipe(filter((e) => e.type === 'auth.credential' && e.from === 'refreshing')),
    );
    clock.increment(89_999); // due at 120 s - 30 s
    expect(credentialSteps()).toEqual(['empty->valid']);
    clock.increment(1);
    expect(credentialSteps()).toEqual(['empty->valid', 'valid->refreshing']);
    expect(await refreshed).toMatchObject({ to: 'valid', expiresAt: clock.now() + 120_000 });
    expect(servers.as.tokenRequestCount('refresh_token')).toBe(1);
    expect((await whoami(conn)).sub).toBe('user-1');
    expect(servers.rs.lastBearer).not.toBe(first);
    expect(conn.state).toBe('ready');
  });

  it('a 401 on an expired token: five calls in flight share one refresh and all succeed', async () => {
    servers.as.setAccessTokenTtl(60);
    const { conn } = connect({});
    await conn.login({ onAuthorizationUrl: person });
    const before = servers.rs.lastBearer;
    servers.as.setAccessTokenTtl(3600);
    servers.rs.advanceTime(120); // the first token is now expired at the resource server
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => conn.callTool('echo', { text: `call ${i}` })),
    );
    expect(results.map((r) => (r.content[0] as { text: string }).text)).toEqual([
      'call 1',
      'call 2',
      'call 3',
      'call 4',
      'call 5',
    ]);
    expect(servers.as.tokenRequestCount('refresh_token')).toBe(1);
    expect(servers.rs.lastBearer).not.toBe(before);
    expect(conn.state).toBe('ready');
  });

  it('a revoked refresh token: the call fails with AUTH_REQUIRED naming the command, the connection waits for a login', async () => {
    servers.as.setAccessTokenTtl(60);
    const { conn, events } = connect({});
    await conn.login({ onAuthorizationUrl: person });
    await servers.as.revokeGrants();
    servers.rs.advanceTime(120);
    const error = await conn.callTool('echo', { text: 'x' }).catch((e: unknown) => e);
    expect(isAzcoreError(error) && error.code).toBe('AUTH_REQUIRED');
    expect(String(error)).toContain('azcore auth login secured');
    expect(conn.state).toBe('authorizing');
    expect(conn.lastError?.code).toBe('AUTH_REQUIRED');
    const credential = events
      .filter((e) => e.type === 'auth.credential')
      .map((e) => (e as { to: string }).to);
    expect(credential).toContain('refreshing');
    expect(credential.at(-1)).toBe('empty');
    // A person logs in again: back to ready.
    await conn.login({ onAuthorizationUrl: person });
    expect(conn.state).toBe('ready');
  });
});
