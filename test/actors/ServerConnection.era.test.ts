import { filter, firstValueFrom, from } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ServerConnection, type ServerConnectionOptions } from '../../src/actors/ServerConnection.js';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import {
  type HttpFixture,
  startHttpFixture,
  startV2HttpFixture,
  stdioFixture,
  stopAllFixtures,
  v2StdioFixture,
} from '../fixtures/index.js';
import { quietLogger, reach, record } from './connectionTestKit.js';

const open: ServerConnection[] = [];
function connect(config: ServerConfig, extra: Partial<ServerConnectionOptions> = {}) {
  const conn = new ServerConnection({ config, logger: quietLogger, ...extra });
  open.push(conn);
  return conn;
}
const stdio = (fx: { command: string; args: string[] }, extra: Partial<ServerConfig> = {}): ServerConfig =>
  ({ name: 'fx', transport: 'stdio', ...fx, connectTimeoutMs: 6_000, ...extra }) as ServerConfig;
const http = (fx: HttpFixture, extra: Partial<ServerConfig> = {}): ServerConfig =>
  ({
    name: 'web',
    transport: 'streamableHttp',
    url: fx.url.href,
    connectTimeoutMs: 6_000,
    ...extra,
  }) as ServerConfig;
const text = (r: { content: unknown[] }) => (r.content[0] as { text?: string } | undefined)?.text;
/** Every state value the connection actor goes through, flattened: `connecting.resumingEra`. */
function stateValues(conn: ServerConnection): string[] {
  const values: string[] = [];
  const flat = (v: unknown): string =>
    typeof v === 'string'
      ? v
      : Object.entries(v as Record<string, unknown>)
          .map(([k, sub]) => `${k}.${flat(sub)}`)
          .join(',');
  conn.actor.subscribe((s) => {
    const value = flat(s.value);
    if (values.at(-1) !== value) values.push(value);
  });
  return values;
}

/** Has the server write `line` to stderr and waits for its event: every earlier stderr line is in by then. */
async function stderrLine(conn: ServerConnection, line: string): Promise<void> {
  const seen = firstValueFrom(
    conn.events$.pipe(filter((e) => e.type === 'server.stderr' && e.line === line)),
  );
  await conn.callTool('stderr', { line });
  await seen;
}
/** Resolves when the connection is back in `ready` with keepalive `idle` (the keepalive timer is armed again). */
async function armed(conn: ServerConnection): Promise<void> {
  if (conn.actor.getSnapshot().matches({ connected: { health: 'ready', keepalive: 'idle' } })) return;
  await firstValueFrom(
    from(conn.actor).pipe(filter((s) => s.matches({ connected: { health: 'ready', keepalive: 'idle' } }))),
  );
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(stopAllFixtures);

const MODERN = { era: 'modern', version: '2026-07-28' };

describe('ServerConnection: protocol era negotiated against real servers', () => {
  it('a v1 (SDK 1.x) stdio server is legacy (2025)', async () => {
    const conn = connect(stdio(stdioFixture()));
    await conn.start();
    expect(conn.protocol).toMatchObject({ era: 'legacy', version: expect.stringMatching(/^2025-/) });
    expect(text(await conn.callTool('echo', { text: 'v1' }))).toBe('v1');
  });

  it('a v1 Streamable HTTP server is legacy (2025)', async () => {
    const fx = await startHttpFixture();
    const conn = connect(http(fx));
    await conn.start();
    expect(conn.protocol).toMatchObject({ era: 'legacy', version: expect.stringMatching(/^2025-/) });
    expect(text(await conn.callTool('echo', { text: 'v1 http' }))).toBe('v1 http');
  });

  for (const era of ['2026', 'dual'] as const) {
    it(`a v2 ${era} stdio server is modern (2026-07-28)`, async () => {
      const conn = connect(stdio(v2StdioFixture({ era })));
      await conn.start();
      expect(conn.protocol).toEqual(MODERN);
      expect(text(await conn.callTool('echo', { text: era }))).toBe(era);
    });

    it(`a v2 ${era} Streamable HTTP server is modern (2026-07-28)`, async () => {
      const fx = await startV2HttpFixture({ era });
      const conn = connect(http(fx));
      await conn.start();
      expect(conn.protocol).toEqual(MODERN);
      expect(text(await conn.callTool('echo', { text: era }))).toBe(era);
    });
  }

  it('a v1 stdio server that ignores the probe connects as legacy once the probe budget (1/3) runs out', async () => {
    const connectTimeoutMs = 6_000;
    const conn = connect(stdio(stdioFixture({ faults: ['ignore-discover'] }), { connectTimeoutMs }));
    const started = performance.now();
    await conn.start();
    const elapsed = performance.now() - started;
    expect(conn.protocol?.era).toBe('legacy');
    // The probe waits its budget (2 000 ms), then 2025's initialize answers at once: about 2 s in all.
    expect(elapsed).toBeGreaterThanOrEqual(connectTimeoutMs / 3 - 50);
    expect(elapsed).toBeLessThan((connectTimeoutMs * 2) / 3);
    expect(conn.state).toBe('ready');
  });

  it('a v1 stdio server that exits on the probe connects as legacy, and a reconnect after SIGKILL does not probe again', async () => {
    const conn = connect(stdio(stdioFixture({ faults: ['exit-on-discover'] })), {
      connection: { backoffBaseMs: 10, backoffMaxMs: 50 },
    });
    const rec = record(conn);
    const values = stateValues(conn);
    await conn.start();
    expect(conn.protocol?.era).toBe('legacy');
    expect(values).toContain('connecting.negotiatingEra');
    expect(values).not.toContain('connecting.resumingEra');
    const firstPid = conn.pid!;
    await stderrLine(conn, 'marker 1');

    const back = firstValueFrom(
      conn.state$.pipe(
        filter((s) => s === 'ready'),
        filter(() => conn.pid !== firstPid),
      ),
    );
    process.kill(firstPid, 'SIGKILL');
    await reach(conn, 'reconnecting');
    await back;
    expect(conn.protocol?.era).toBe('legacy');
    await stderrLine(conn, 'marker 2');

    const faultLines = rec.ofType('server.stderr').filter((e) => /exit-on-discover fault/.test(e.line));
    expect(faultLines).toHaveLength(1);
    expect(values.filter((v) => v === 'connecting.negotiatingEra')).toHaveLength(1);
    expect(values.indexOf('connecting.resumingEra')).toBeGreaterThan(values.indexOf('reconnecting'));
    expect(rec.states()).toEqual(['idle', 'connecting', 'ready', 'reconnecting', 'connecting', 'ready']);
  });

  it("protocolVersion 'legacy' speaks 2025 to a dual server (stdio and HTTP), without a probe", async () => {
    const overStdio = connect(stdio(v2StdioFixture({ era: 'dual' }), { protocolVersion: 'legacy' }));
    const fx = await startV2HttpFixture({ era: 'dual' });
    const overHttp = connect(http(fx, { protocolVersion: 'legacy' }));
    await Promise.all([overStdio.start(), overHttp.start()]);
    for (const conn of [overStdio, overHttp]) {
      expect(conn.protocol).toMatchObject({ era: 'legacy', version: expect.stringMatching(/^2025-/) });
      expect(text(await conn.callTool('echo', { text: 'pinned' }))).toBe('pinned');
    }
  });

  it("protocolVersion 'legacy' sends no probe: a v1 server that exits on server/discover never sees one", async () => {
    const conn = connect(
      stdio(stdioFixture({ faults: ['exit-on-discover'] }), { protocolVersion: 'legacy' }),
    );
    const rec = record(conn);
    const values = stateValues(conn);
    await conn.start();
    await stderrLine(conn, 'marker');
    expect(conn.protocol?.era).toBe('legacy');
    expect(rec.ofType('server.stderr').map((e) => e.line)).toEqual(['marker']);
    expect(rec.states()).toEqual(['idle', 'connecting', 'ready']);
    expect(values).toContain('connecting.negotiatingEra');
  });

  for (const transport of ['stdio', 'streamableHttp'] as const) {
    it(`pinning '2026-07-28' against a v1 ${transport} server fails typed (protocol, not retryable), with no restart storm`, async () => {
      const clock = new SimulatedClock();
      const config =
        transport === 'stdio'
          ? stdio(stdioFixture(), { protocolVersion: '2026-07-28' })
          : http(await startHttpFixture(), { protocolVersion: '2026-07-28' });
      const conn = connect(config, { clock });
      const rec = record(conn);
      const error = await conn.start().catch((e: unknown) => e);
      expect(error).toMatchObject({
        kind: 'protocol',
        code: 'ERA_NEGOTIATION_FAILED',
        server: config.name,
        retryable: false,
      });
      await reach(conn, 'failed');
      expect(conn.lastError).toMatchObject({ kind: 'protocol', retryable: false });
      // Not retryable: no reconnect with backoff, only the failed state's cooldown (60 s) is left.
      clock.increment(59_000);
      expect(conn.state).toBe('failed');
      expect(rec.states()).toEqual(['idle', 'connecting', 'failed']);
      expect(conn.actor.getSnapshot().context.restarts).toEqual([]);
      expect(conn.protocol).toBeUndefined();
    });
  }
});

describe('ServerConnection: a 2026-only server keeps a ready connection', () => {
  const keepalive = async (conn: ServerConnection, clock: SimulatedClock) => {
    const rec = record(conn);
    await conn.start();
    expect(conn.protocol).toEqual(MODERN);
    const tools = await conn.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'ask', 'structured']));
    expect(text(await conn.callTool('echo', { text: 'modern' }))).toBe('modern');
    // 2 s of keepalive at 250 ms: one server/discover per tick, each answered.
    // The next timer is armed when the ping actor is done, so wait for keepalive idle before each tick.
    for (let tick = 1; tick <= 8; tick++) {
      await armed(conn);
      const ping = firstValueFrom(conn.events$.pipe(filter((e) => e.type === 'server.ping')));
      clock.increment(250);
      expect(await ping).toMatchObject({ ok: true });
      expect(conn.state).toBe('ready');
    }
    await armed(conn);
    expect(rec.ofType('server.ping')).toHaveLength(8);
    expect(rec.states()).toEqual(['idle', 'connecting', 'ready']);
    expect(text(await conn.callTool('echo', { text: 'still modern' }))).toBe('still modern');
  };

  it('over Streamable HTTP: start, listTools, callTool and 2 s of keepalive at 250 ms, never degraded', async () => {
    const clock = new SimulatedClock();
    const fx = await startV2HttpFixture({ era: '2026' });
    await keepalive(connect(http(fx), { clock, connection: { pingIntervalMs: 250 } }), clock);
  });

  it('over stdio: the same', async () => {
    const clock = new SimulatedClock();
    await keepalive(
      connect(stdio(v2StdioFixture({ era: '2026' })), { clock, connection: { pingIntervalMs: 250 } }),
      clock,
    );
  });
});
