import { request } from 'node:http';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackPeer } from '../../src/dashboard/actions.js';
import type { DashboardTeam } from '../../src/dashboard/DashboardModel.js';
import { type DashboardServer, serveDashboard } from '../../src/dashboard/serveDashboard.js';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';

const servers: DashboardServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function fakeTeam(): { events: Subject<RuntimeEvent>; team: DashboardTeam; done: string[] } {
  const events = new Subject<RuntimeEvent>();
  const done: string[] = [];
  let breaker = 'closed';
  const server = {
    cachedTools: [
      { name: 'read', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
      { name: 'hang' },
    ],
    state: 'ready',
    reconnect: () => void done.push('reconnect'),
    breaker: {
      get state() {
        return breaker;
      },
      reset: () => {
        breaker = 'closed';
      },
      isolate: () => {
        breaker = 'isolated';
      },
    },
    callTool: async (
      name: string,
      args: Record<string, unknown>,
      options?: { timeout?: number | undefined; signal?: AbortSignal | undefined },
    ) => {
      done.push(`call ${name} ${JSON.stringify(args)} ${options?.timeout}`);
      if (name === 'hang') {
        return new Promise<never>((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => {
            done.push('hang aborted');
            reject(new Error('aborted'));
          });
        });
      }
      if (breaker !== 'closed') {
        throw new CircuitOpenError("Circuit breaker 'files' is isolated by hand.", {
          breakerState: 'isolated',
          retryAt: undefined,
          server: 'files',
        });
      }
      return { content: [{ type: 'text', text: `read ${String(args.path)}` }] };
    },
  };
  return {
    events,
    done,
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
      getServer: (name) => (name === 'files' ? server : undefined),
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
  return send(url, headers, method).then((r) => r.status);
}

/** One raw request (fetch would not let a test set Host or Origin). */
function send(
  url: URL,
  headers: Record<string, string>,
  method = 'GET',
  body?: string,
  localAddress?: string,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves once `check` holds, looking again after each turn of the event loop (no timer). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

async function tokenOf(dashboard: DashboardServer): Promise<string> {
  const html = await (await fetch(dashboard.url)).text();
  const token = /<meta name="azcore-token" content="([^"]+)"/.exec(html)?.[1];
  expect(token).toMatch(/^[\w-]{40,}$/);
  return token!;
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
    for (const module of [
      '/app.js',
      '/cards.js',
      '/charts.js',
      '/log.js',
      '/tone.js',
      '/actions.js',
      '/inspector.js',
    ]) {
      const response = await fetch(new URL(module, dashboard.url));
      expect(response.status, module).toBe(200);
      const text = await response.text();
      expect(text, module).not.toMatch(/https?:\/\//);
      expect(text, `${module} must not poll`).not.toMatch(/setInterval|setTimeout/);
      // Only the actions module talks back, when the operator acts; every update comes over SSE.
      if (module !== '/actions.js') expect(text, `${module} must not fetch`).not.toMatch(/fetch\(/);
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
      servers: [{ name: 'files', state: 'ready', tools: ['read', 'hang'] }],
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
    expect(await get(dashboard.url, {}, 'DELETE')).toBe(405);
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

  it('takes actions from this machine only: any loopback source address passes, other peers are refused by address', async () => {
    const { dashboard } = await serve({ health: false });
    const token = await tokenOf(dashboard);
    const url = new URL('/api/servers/files/reconnect', dashboard.url);
    const headers = { host: `127.0.0.1:${dashboard.port}`, 'x-azcore-token': token };
    // A real request whose source is 127.0.0.2 (all of 127.0.0.0/8 is this machine).
    expect(await send(url, headers, 'POST', undefined, '127.0.0.2')).toMatchObject({
      status: 200,
      json: { ok: true, action: 'reconnect', server: 'files' },
    });
    for (const peer of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1', '::FFFF:127.1.2.3'])
      expect(isLoopbackPeer(peer), peer).toBe(true);
    // Peers a dashboard bound with --allow-remote can meet (no second interface is guaranteed on a
    // test machine, so these are checked on the rule the request handler applies).
    for (const peer of ['192.0.2.9', '::ffff:192.0.2.9', 'fd00::2', '10.127.0.1', '127.0.0.1.evil', ''])
      expect(isLoopbackPeer(peer), peer).toBe(false);
  });

  it('refuses an action without the session token (401), with a wrong one (403), from another Host (421) or Origin (403)', async () => {
    const { dashboard } = await serve({ health: false });
    const token = await tokenOf(dashboard);
    const url = new URL('/api/servers/files/reconnect', dashboard.url);
    const host = { host: `127.0.0.1:${dashboard.port}` };
    const refused = (status: number, code: string) => ({
      status,
      json: {
        ok: false,
        action: 'request',
        status,
        error: { kind: 'request', code, message: expect.any(String), retryable: false },
      },
    });
    expect(await send(url, host, 'POST')).toEqual(refused(401, 'NO_TOKEN'));
    expect(await send(url, { ...host, 'x-azcore-token': `${token}x` }, 'POST')).toEqual(
      refused(403, 'BAD_TOKEN'),
    );
    expect(await send(url, { ...host, 'x-azcore-token': 'short' }, 'POST')).toEqual(
      refused(403, 'BAD_TOKEN'),
    );
    expect(await send(url, { host: 'evil.example', 'x-azcore-token': token }, 'POST')).toMatchObject({
      status: 421,
    });
    expect(
      await send(url, { host: `evil.example:${dashboard.port}`, 'x-azcore-token': token }, 'POST'),
    ).toMatchObject({ status: 421 });
    expect(
      await send(url, { ...host, origin: 'http://evil.example', 'x-azcore-token': token }, 'POST'),
    ).toEqual(refused(403, 'BAD_ORIGIN'));
    // A fresh dashboard has a fresh token: the old page's token is refused.
    const other = await serve({ health: false });
    expect(await tokenOf(other.dashboard)).not.toBe(token);
    expect(
      await send(
        new URL('/api/servers/files/reconnect', other.dashboard.url),
        { 'x-azcore-token': token },
        'POST',
      ),
    ).toMatchObject({ status: 403 });
  });

  it('runs each action through the server it names and answers with a typed result or a typed error', async () => {
    const { team, done } = fakeTeam();
    const dashboard = await serveDashboard(team, { port: 0, health: false });
    servers.push(dashboard);
    const token = await tokenOf(dashboard);
    const post = (path: string, body?: unknown) =>
      send(
        new URL(path, dashboard.url),
        { 'x-azcore-token': token, 'content-type': 'application/json', origin: dashboard.url.origin },
        'POST',
        body === undefined ? undefined : JSON.stringify(body),
      );
    expect(await post('/api/servers/files/reconnect')).toEqual({
      status: 200,
      json: { ok: true, action: 'reconnect', server: 'files', state: 'ready' },
    });
    expect(done).toEqual(['reconnect']);
    expect(await post('/api/breakers/files/isolate')).toEqual({
      status: 200,
      json: { ok: true, action: 'breaker.isolate', breaker: 'files', state: 'isolated' },
    });
    expect(await post('/api/servers/files/tools/read/call', { arguments: { path: '/a' } })).toMatchObject({
      status: 503,
      json: { ok: false, action: 'tool.call', error: { kind: 'circuitOpen', code: 'CIRCUIT_OPEN' } },
    });
    expect(await post('/api/breakers/files/reset')).toMatchObject({ status: 200, json: { state: 'closed' } });
    expect(
      await post('/api/servers/files/tools/read/call', { arguments: { path: '/a' }, timeoutMs: 5_000 }),
    ).toEqual({
      status: 200,
      json: {
        ok: true,
        action: 'tool.call',
        server: 'files',
        tool: 'read',
        result: { content: [{ type: 'text', text: 'read /a' }], isError: false },
      },
    });
    expect(done.at(-1)).toBe('call read {"path":"/a"} 5000');
    const code = async (path: string, body?: unknown) =>
      ((await post(path, body)).json as { error: { code: string } }).error.code;
    expect(await code('/api/servers/nope/reconnect')).toBe('NO_SUCH_SERVER');
    expect(await code('/api/servers/files/tools/write/call', {})).toBe('NO_SUCH_TOOL');
    expect(await code('/api/servers/files/tools/read/call', { arguments: [1] })).toBe('BAD_ARGUMENTS');
    expect(await code('/api/servers/files/tools/read/call', { timeoutMs: -1 })).toBe('BAD_TIMEOUT');
    expect(await code('/api/servers/files/explode')).toBe('NO_SUCH_ACTION');
    const tools = (await (await fetch(new URL('/api/servers/files/tools', dashboard.url))).json()) as unknown;
    expect(tools).toEqual({
      server: 'files',
      tools: [
        {
          name: 'read',
          inputSchema: { type: 'object', properties: { path: { type: 'string' } } },
          offered: true,
        },
        { name: 'hang', inputSchema: { type: 'object' }, offered: false },
      ],
    });
    // A page that goes away cancels the call it started.
    const hanging = request(new URL('/api/servers/files/tools/hang/call', dashboard.url), {
      method: 'POST',
      headers: { 'x-azcore-token': token, 'content-type': 'application/json' },
    });
    hanging.on('error', () => undefined);
    hanging.end('{}');
    await until(() => done.includes('call hang {} undefined'));
    hanging.destroy();
    await until(() => done.includes('hang aborted'));
    // Without actions, a POST is just another method the server does not serve.
    const quiet = await serveDashboard(team, { port: 0, health: false, actions: false });
    servers.push(quiet);
    expect(
      await send(new URL('/api/servers/files/reconnect', quiet.url), { 'x-azcore-token': token }, 'POST'),
    ).toMatchObject({ status: 405 });
  });
});
