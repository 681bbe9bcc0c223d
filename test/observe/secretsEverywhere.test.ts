// A hostile-server test: secrets from the config (env values, bearer tokens, URL passwords and token
// parameters) and what a server echoes of them must not reach ANY channel: events, typed errors,
// log lines, the team's status view, the dashboard. Real fixture servers, real failures.
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { filter, firstValueFrom, type Subscription } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import { parseServerConfig } from '../../src/config/serverConfig.js';
import { DashboardModel } from '../../src/dashboard/DashboardModel.js';
import type { DashboardMessage } from '../../src/dashboard/types.js';
import { type AzcoreError, isAzcoreError } from '../../src/errors/AzcoreError.js';
import { classifyError } from '../../src/errors/classifyError.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { HealthChecker } from '../../src/observe/HealthChecker.js';
import { createLogger } from '../../src/observe/logger.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { type HttpFixture, startHttpFixture, stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const TOKEN = 'SECRET123'; // the fixture's required bearer token
const API_KEY = 'SECRET456'; // the stdio server's env, echoed on its stderr
const URL_TOKEN = 'SECRET789'; // a ?token= / ?api_key= query parameter
const URL_PASSWORD = 'SECRETPW1'; // the password of user:pw@
const WRONG_TOKEN = 'WRONG-TOKEN-77'; // a bearer the server rejects (still a credential)
const SECRETS = [TOKEN, API_KEY, URL_TOKEN, URL_PASSWORD, WRONG_TOKEN, `agent:${URL_PASSWORD}`];

/** Every channel's output, as text, to grep. */
const seen: { channel: string; text: string }[] = [];
const record = (channel: string, value: unknown) =>
  seen.push({ channel, text: typeof value === 'string' ? value : JSON.stringify(value) });
function recordError(channel: string, e: unknown) {
  expect(isAzcoreError(e)).toBe(true);
  const error = e as AzcoreError;
  record(`${channel} message`, error.message);
  record(`${channel} toJSON`, error.toJSON());
  record(`${channel} JSON`, JSON.stringify(error));
  record(`${channel} hint`, error.hint ?? '');
  record(`${channel} stack`, error.stack ?? '');
  return error;
}
/** SHOW_CHANNELS=1 prints what every channel carried. */
function expectNoLeaks(): void {
  if (process.env.SHOW_CHANNELS) for (const s of seen) console.log(s.channel, s.text.slice(0, 400));
  const leaks = seen.flatMap(({ channel, text }) =>
    SECRETS.filter((s) => text.includes(s)).map((s) => `${channel}: ${s} in ${text.slice(0, 300)}`),
  );
  expect(leaks).toEqual([]);
}

function memoryLogger(channel: string) {
  const destination = new Writable({
    write(chunk, _enc, done) {
      record(channel, String(chunk));
      done();
    },
  });
  return createLogger({ level: 'debug', destination });
}

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function configs(fixture: HttpFixture, dead: number) {
  const stdio = stdioFixture();
  const base = `http://127.0.0.1:${fixture.port}/mcp`;
  return {
    local: { command: stdio.command, args: stdio.args, env: { API_KEY } },
    good: { url: `${base}?token=${URL_TOKEN}`, headers: { Authorization: `Bearer ${TOKEN}` } },
    wrong: { url: `${base}?token=${URL_TOKEN}&q=1`, headers: { Authorization: `Bearer ${WRONG_TOKEN}` } },
    creds: {
      url: `http://agent:${URL_PASSWORD}@127.0.0.1:${fixture.port}/mcp?token=${URL_TOKEN}`,
      headers: { Authorization: `Bearer ${TOKEN}` },
    },
    dead: { url: `http://127.0.0.1:${dead}/mcp?api_key=${URL_TOKEN}` },
  };
}

const subscriptions: Subscription[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
  await Promise.all(closers.splice(0).map((close) => close().catch(() => undefined)));
});
afterAll(stopAllFixtures);

describe('secrets never reach an event, an error, a log line or the dashboard', () => {
  it('ServerConnections on one bus: stderr echo, 401, credentials in the URL, dead port', async () => {
    seen.length = 0;
    const fixture = await startHttpFixture({ faults: [`require-token=${TOKEN}`] });
    const entries = configs(fixture, await deadPort());
    const bus = new EventBus();
    const events: RuntimeEvent[] = [];
    subscriptions.push(bus.events$.subscribe((e) => events.push(e)));
    const logger = memoryLogger('log (connections)');
    const conns = Object.fromEntries(
      Object.entries(entries).map(([name, entry]) => {
        const config = {
          name,
          connectTimeoutMs: 5_000,
          ...(name === 'local' ? { transport: 'stdio' } : { transport: 'streamableHttp' }),
          ...entry,
        } as ServerConfig;
        const conn = new ServerConnection({ config, bus, logger });
        closers.push(() => conn.close());
        return [name, conn];
      }),
    ) as Record<keyof typeof entries, ServerConnection>;

    // The hostile stdio server echoes its API key on stderr.
    await conns.local.start();
    const stderrSeen = firstValueFrom(
      bus.events$.pipe(filter((e) => e.type === 'server.stderr' && e.line.startsWith('key='))),
    );
    await conns.local.callTool('stderr', { line: `key=${API_KEY}` });
    await conns.local.callTool('stderr', {
      line: `retrying https://agent:${URL_PASSWORD}@x.test/?token=${URL_TOKEN}`,
    });
    expect(await stderrSeen).toMatchObject({ line: 'key=[redacted]' });

    await conns.good.start();
    await conns.good.callTool('echo', { text: 'hello' });

    // user:pass@ is split off the URL (fetch refuses it); the explicit Bearer header wins, so it connects.
    await conns.creds.start();
    await conns.creds.callTool('echo', { text: 'with credentials in the URL' });

    const failures: Record<string, AzcoreError> = {};
    for (const name of ['wrong', 'dead'] as const) {
      const e = await conns[name].start().then(
        () => undefined,
        (error: unknown) => error,
      );
      failures[name] = recordError(`start ${name}`, e);
      const call = await conns[name].callTool('echo', { text: 'x' }, { timeout: 1_000 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      if (call !== undefined) recordError(`callTool ${name}`, call);
    }
    expect(failures.wrong?.kind).toBe('auth');
    expect(failures.dead?.kind).toBe('connection');

    // A raw failure that names the URL, classified directly: the message is redacted, the cause kept.
    const raw = new TypeError(
      `Request cannot be constructed from a URL that includes credentials: ${entries.creds.url}`,
    );
    const classified = recordError('classifyError', classifyError(raw, { server: 'creds' }));
    expect(classified.cause).toBe(raw);

    // A config echo: the URL is accepted with its credentials, errors show it redacted.
    const bad = (() => {
      try {
        parseServerConfig({ name: 'cfg', transport: 'streamableHttp', url: entries.dead.url, nope: 1 });
      } catch (e) {
        return e;
      }
    })();
    recordError('ConfigurationError', bad);
    expect(
      parseServerConfig({ name: 'ok', transport: 'streamableHttp', url: entries.creds.url }),
    ).toMatchObject({
      url: entries.creds.url,
    });

    for (const e of events) record(`event ${e.type}`, e);
    for (const conn of Object.values(conns))
      if (conn.lastError) recordError(`lastError ${conn.name}`, conn.lastError);

    expect(events.some((e) => e.type === 'server.stderr')).toBe(true);
    expect(events.some((e) => e.type === 'connection.state' && e.reason?.kind === 'auth')).toBe(true);
    expect(seen.some((s) => s.channel.startsWith('log') && s.text.includes('[redacted]'))).toBe(true);
    expect(seen.some((s) => s.text.includes('?token=***'))).toBe(true);
    expectNoLeaks();
  }, 30_000);

  it('a team, its status view, its health checks and the dashboard model', async () => {
    seen.length = 0;
    const fixture = await startHttpFixture({ faults: [`require-token=${TOKEN}`] });
    const entries = configs(fixture, await deadPort());
    const optional = (e: object) => ({ ...e, optional: true });
    const team: MCPTeam = await new MCPTeamBuilder('hostile')
      .withLlm(new ScriptedChatModel([{ content: 'done' }]))
      .withLogger(memoryLogger('log (team)'))
      .withMcpServers({
        mcpServers: {
          local: entries.local,
          good: entries.good,
          wrong: optional(entries.wrong),
          creds: optional(entries.creds),
          dead: optional(entries.dead),
        },
      })
      .skipFailedServers()
      .build();
    closers.push(() => team.cleanup());
    const health = new HealthChecker(team, { intervalMs: 0 });
    closers.push(async () => health.stop());
    const dashboard = new DashboardModel(team, { health });
    closers.push(async () => dashboard.close());
    const messages: DashboardMessage[] = [];
    subscriptions.push(dashboard.messages$.subscribe((m) => messages.push(m)));
    subscriptions.push(team.events$.subscribe((e) => record(`team event ${e.type}`, e)));
    subscriptions.push(health.events$.subscribe((e) => record(`health event ${e.type}`, e)));

    const local = team.getServer('local');
    expect(local).toBeDefined();
    const stderrSeen = firstValueFrom(team.events$.pipe(filter((e) => e.type === 'server.stderr')));
    await local?.callTool('stderr', { line: `key=${API_KEY}` });
    expect(await stderrSeen).toMatchObject({ line: 'key=[redacted]' });

    // Fresh failures while everyone listens.
    for (const name of ['wrong', 'creds', 'dead']) {
      const conn = team.getServer(name);
      conn?.reconnect();
      const e = await conn?.callTool('echo', { text: 'x' }, { timeout: 1_000 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      if (e !== undefined) recordError(`team callTool ${name}`, e);
    }
    await health.checkHealth();

    const states = team.getServerStates();
    record('getServerStates', states);
    expect(states.wrong?.lastError?.kind).toBe('auth');
    const snapshot = dashboard.snapshot();
    record('dashboard snapshot', snapshot);
    for (const m of messages) record(`dashboard message ${m.type}`, m);
    expect(snapshot.servers.find((s) => s.name === 'dead')?.lastError).toBeDefined();
    expect(snapshot.events.some((e) => e.type === 'server.stderr')).toBe(true);

    expect(seen.some((s) => s.channel.startsWith('log'))).toBe(true);
    expectNoLeaks();
  }, 30_000);
});
