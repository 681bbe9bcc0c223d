import { request } from 'node:http';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardTeam } from '../../src/dashboard/DashboardModel.js';
import { type DashboardServer, serveDashboard } from '../../src/dashboard/serveDashboard.js';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';

const servers: DashboardServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function fakeTeam(): { events: Subject<RuntimeEvent>; team: DashboardTeam } {
  const events = new Subject<RuntimeEvent>();
  return {
    events,
    team: {
      name: 'ops',
      state: 'ready',
      events$: events.asObservable(),
      getServerStates: () => ({
        files: {
          state: 'ready',
          breaker: 'closed',
          available: true,
          optional: false,
          tools: 1,
          lastError: undefined,
        },
      }),
      getMcpToolNames: () => ['files__read'],
      getServer: () => ({ cachedTools: [{ name: 'read' }] }),
    },
  };
}

async function serve(options: Parameters<typeof serveDashboard>[1] = {}) {
  const { team, events } = fakeTeam();
  const dashboard = await serveDashboard(team, { port: 0, ...options });
  servers.push(dashboard);
  return { dashboard, events };
}

/** Reads an SSE response until `stop` accepts the events so far; returns them as [name, data]. */
async function readEvents(
  response: Response,
  stop: (events: [string, unknown][]) => boolean,
): Promise<[string, unknown][]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const out: [string, unknown][] = [];
  let buffer = '';
  while (!stop(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (name && data) out.push([name, JSON.parse(data)]);
      end = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return out;
}

function get(url: URL, headers: Record<string, string>, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveDashboard', () => {
  it('serves the page and its libraries from this server only, on 127.0.0.1', async () => {
    const { dashboard } = await serve();
    expect(dashboard.url.href).toBe(`http://127.0.0.1:${dashboard.port}/`);
    const html = await (await fetch(dashboard.url)).text();
    const loads = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(loads.length).toBeGreaterThanOrEqual(5);
    for (const path of loads) {
      expect(path.startsWith('/'), `${path} must come from the dashboard server`).toBe(true);
      const response = await fetch(new URL(path, dashboard.url));
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/javascript|css/);
      await response.arrayBuffer();
    }
    for (const module of ['/app.js', '/cards.js', '/charts.js', '/log.js', '/tone.js']) {
      const text = await (await fetch(new URL(module, dashboard.url))).text();
      expect(text, module).not.toMatch(/https?:\/\//);
      expect(text, `${module} must not poll`).not.toMatch(/setInterval|fetch\(/);
    }
    expect((await fetch(new URL('/nope', dashboard.url))).status).toBe(404);
  });

  it('streams a snapshot, then every event of the team, over server-sent events', async () => {
    const { dashboard, events } = await serve({ health: false });
    const response = await fetch(new URL('/api/events', dashboard.url));
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // The handler subscribed before the headers went out: an event sent now arrives after the snapshot.
    const reading = readEvents(response, (e) => e.length === 2);
    events.next({ type: 'tools.changed', at: 1, source: 'server:files', server: 'files', tools: 1 });
    const [snapshot, event] = await reading;
    expect(snapshot?.[0]).toBe('snapshot');
    expect(snapshot?.[1]).toMatchObject({
      team: { name: 'ops', state: 'ready' },
      servers: [{ name: 'files', state: 'ready', tools: ['read'] }],
      health: { status: 'unknown' },
    });
    expect(event).toEqual(['event', expect.objectContaining({ type: 'tools.changed' })]);
    const json = (await (await fetch(new URL('/api/snapshot', dashboard.url))).json()) as {
      events: unknown[];
    };
    expect(json.events).toHaveLength(1);
  });

  it('checks health with a HealthChecker by default', async () => {
    const { dashboard } = await serve({ healthIntervalMs: 60_000 });
    const response = await fetch(new URL('/api/events', dashboard.url));
    const healthy = (name: string, data: unknown) =>
      (name === 'health' && (data as { status: string }).status === 'healthy') ||
      (name === 'snapshot' && (data as { health: { status: string } }).health.status === 'healthy');
    const received = await readEvents(response, (e) => e.some(([name, data]) => healthy(name, data)));
    expect(received.some(([name, data]) => healthy(name, data))).toBe(true);
    expect(dashboard.model.snapshot().health.checks).toMatchObject({
      tools: { status: 'pass' },
      servers: { status: 'pass' },
    });
  });

  it('answers only GET for its own host name, and refuses to bind beyond loopback unless asked', async () => {
    const { dashboard } = await serve({ health: false });
    expect(await get(dashboard.url, { host: 'evil.example:80' })).toBe(421);
    expect(await get(dashboard.url, { host: `localhost:${dashboard.port}` })).toBe(200);
    expect(await get(dashboard.url, {}, 'POST')).toBe(405);
    const remote = await serveDashboard(fakeTeam().team, { host: '0.0.0.0', port: 0 }).catch(
      (e: unknown) => e,
    );
    expect(isConfigurationError(remote) && remote.message).toMatch(/not a loopback address.*allowRemote/);
    const taken = await serveDashboard(fakeTeam().team, { port: dashboard.port, health: false }).catch(
      (e: unknown) => e,
    );
    expect(isConfigurationError(taken) && taken.message).toMatch(/cannot listen.*Choose another port/);
  });

  it('close() ends the live streams and is idempotent', async () => {
    const { dashboard } = await serve({ health: false });
    const response = await fetch(new URL('/api/events', dashboard.url));
    const reader = response.body!.getReader();
    await reader.read();
    await Promise.all([dashboard.close(), dashboard.close()]);
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });
});
