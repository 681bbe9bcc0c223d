// "Needs login" in health and on the dashboard: a real oidc-provider and a protected MCP server; a
// connection with `oauth` config and no token, and no login handler, waits in `authorizing`.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { MemoryTokenStore } from '../../src/auth/MemoryTokenStore.js';
import { DashboardModel } from '../../src/dashboard/DashboardModel.js';
import type { DashboardMessage, ServerView } from '../../src/dashboard/types.js';
import { summarizeError } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { HealthChecker } from '../../src/observe/HealthChecker.js';
import type { HealthTarget } from '../../src/observe/healthChecks.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stopAllFixtures } from '../fixtures/index.js';
import { teamNeedingLogin, useOAuthServers, useOwnTokenFile } from '../support/oauthServers.js';

const servers = useOAuthServers({ accessTokenTtl: 60 });
// A team's servers use the default file store: point it at an empty file of this test's own.
useOwnTokenFile('azcore-needs-login-');
const cleanup: (() => Promise<unknown> | unknown)[] = [];

afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});
afterAll(async () => {
  await stopAllFixtures();
});

const person = async (url: URL) => {
  await fetch(await servers.as.completeAuthorization(url));
};

/** One real connection seen as a health target (a team of one, required or optional). */
function targetOf(conn: ServerConnection, optional: boolean): HealthTarget {
  return {
    name: 'solo',
    getMcpToolNames: () =>
      conn.available ? (conn.cachedTools ?? []).map((t) => `${conn.name}__${t.name}`) : [],
    getServerStates: () => ({
      [conn.name]: {
        state: conn.state,
        breaker: conn.breaker.state,
        available: conn.available,
        optional,
        lastError: conn.lastError && summarizeError(conn.lastError),
      },
    }),
  };
}

async function waitingForLogin() {
  const conn = new ServerConnection({
    config: { name: 'secured', transport: 'streamableHttp', url: servers.rs.url.href, oauth: {} },
    auth: { store: new MemoryTokenStore() },
    logger: quietLogger,
  });
  cleanup.push(() => conn.close());
  await conn.start().catch(() => undefined);
  expect(conn.state).toBe('authorizing');
  return conn;
}

describe('health: a server that needs an OAuth login', () => {
  it('required: unhealthy, and the servers check says "needs an OAuth login" with the command and the reason', async () => {
    const conn = await waitingForLogin();
    const health = new HealthChecker(targetOf(conn, false), {
      intervalMs: 0,
      minTools: 0,
      logger: quietLogger,
    });
    cleanup.push(() => health.stop());
    const report = await health.checkHealth();
    expect(report.status).toBe('unhealthy');
    const servers = report.checks.servers;
    expect(servers?.status).toBe('fail');
    expect(servers?.detail).toContain('secured needs an OAuth login: run `azcore auth login secured`');
    // The connection's own error (lastError) says why: no token yet.
    expect(servers?.detail).toContain(`(${conn.lastError?.message.replace(/\.$/, '')})`);
    expect(servers?.detail).not.toContain('..');
    expect(servers?.detail).toMatch(/needs a person to log in/);
    expect(servers?.detail).not.toMatch(/check the server logs/);

    // After the login the same check passes.
    await conn.login({ onAuthorizationUrl: person });
    expect((await health.checkHealth()).checks.servers?.status).toBe('pass');
  });

  it('optional in a real team: degraded; health and the dashboard card both say needs login', async () => {
    const team: MCPTeam = await teamNeedingLogin('ops', servers.rs.url.href);
    cleanup.push(() => team.cleanup());
    const health = new HealthChecker(team, { intervalMs: 0, logger: quietLogger });
    cleanup.push(() => health.stop());
    const model = new DashboardModel(team, { health });
    cleanup.push(() => model.close());
    const report = await health.checkHealth();
    expect(report.status).toBe('degraded');
    expect(report.checks.servers?.detail).toContain(
      'secured needs an OAuth login: run `azcore auth login secured`',
    );
    const card = model.serverView('secured') as ServerView;
    expect(card).toMatchObject({
      state: 'authorizing',
      needsLogin: true,
      loginCommand: 'azcore auth login secured',
      available: false,
    });
    expect(model.serverView('local')?.needsLogin).toBe(false);
  });
});

describe('dashboard: the credential on the card, from auth.* events', () => {
  it('needs login, then after a login and a refresh: valid with the new expiry; no token in the JSON or the SSE data', async () => {
    const store = new MemoryTokenStore();
    const live = new ServerConnection({
      config: { name: 'secured', transport: 'streamableHttp', url: servers.rs.url.href, oauth: {} },
      auth: { store },
      logger: quietLogger,
    });
    cleanup.push(() => live.close());
    const events: RuntimeEvent[] = [];
    live.events$.subscribe((e) => events.push(e));
    // The dashboard's view of a team of one: its real events and its real state.
    const team = {
      name: 'solo',
      get state() {
        return 'ready';
      },
      events$: live.events$,
      getServerStates: () => ({
        secured: {
          state: live.state,
          breaker: live.breaker.state,
          available: live.available,
          optional: false,
          tools: live.cachedTools?.length ?? 0,
          lastError: live.lastError && summarizeError(live.lastError),
        },
      }),
      getMcpToolNames: () => [],
      getServer: () => live,
    };
    const model = new DashboardModel(team);
    cleanup.push(() => model.close());
    const messages: DashboardMessage[] = [];
    model.messages$.subscribe((m) => messages.push(m));

    await live.start().catch(() => undefined);
    expect(model.serverView('secured')).toMatchObject({ state: 'authorizing', needsLogin: true });

    await live.login({ onAuthorizationUrl: person });
    const afterLogin = model.serverView('secured') as ServerView;
    expect(afterLogin.needsLogin).toBe(false);
    expect(afterLogin.loginCommand).toBeUndefined();
    expect(afterLogin.credential).toMatchObject({ state: 'valid', login: 'authorized' });
    const firstExpiry = afterLogin.credential?.expiresAt as number;
    expect(firstExpiry).toBeGreaterThan(Date.now());
    // The login's waiting step was on a card message while it lasted.
    expect(messages.some((m) => m.type === 'server' && m.data.credential?.login === 'awaitingUser')).toBe(
      true,
    );

    // The token expires at the resource server: a call refreshes it.
    servers.as.setAccessTokenTtl(3600);
    servers.rs.advanceTime(120);
    await live.callTool('echo', { text: 'x' });
    const refreshed = model.serverView('secured') as ServerView;
    expect(refreshed.credential?.state).toBe('valid');
    expect(refreshed.credential?.expiresAt).toBeGreaterThan(firstExpiry);
    expect(events.some((e) => e.type === 'auth.credential' && e.to === 'refreshing')).toBe(true);

    const [record] = await store.find(servers.rs.url.href);
    const page = JSON.stringify({ snapshot: model.snapshot(), messages });
    for (const secret of [record?.tokens?.access_token, record?.tokens?.refresh_token]) {
      expect(secret).toBeTruthy();
      expect(page).not.toContain(secret);
    }
    servers.as.setAccessTokenTtl(60);
  });
});
