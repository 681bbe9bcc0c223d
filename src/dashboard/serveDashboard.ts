import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { HealthChecker } from '../observe/HealthChecker.js';
import { type ActionContext, createSessionToken, handleAction, sendRefusal, toolsOf } from './actions.js';
import { type Asset, dashboardAssets, readAsset } from './assets.js';
import {
  type DashboardHealthSource,
  DashboardModel,
  type DashboardModelOptions,
  type DashboardTeam,
} from './DashboardModel.js';
import { openEventStream, writeMessage } from './sse.js';

/** Options of {@link serveDashboard}. */
export interface DashboardOptions extends Omit<DashboardModelOptions, 'health'> {
  /** TCP port; 0 picks a free one (read it from `url`). Default 4343. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`; anything but loopback needs `allowRemote`. */
  host?: string;
  /** The page has no login: binding a non-loopback address must be asked for explicitly. */
  allowRemote?: boolean;
  /**
   * Where the health panel's verdicts come from. Default: a `HealthChecker` on the team, checking
   * every `healthIntervalMs` and whenever a server changes state. `false`: no health panel data.
   */
  health?: DashboardHealthSource | false;
  /** Period of the default health checker. Default 10 000 ms. */
  healthIntervalMs?: number;
  /**
   * Serve the page's actions (reconnect a server, reset or isolate a breaker, call a tool): POSTs
   * from this machine carrying the session token embedded in the served page. Default true.
   */
  actions?: boolean;
}

/** A running dashboard. */
export interface DashboardServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: URL;
  readonly port: number;
  readonly model: DashboardModel;
  /** Ends every live page stream, stops the server and the default health checker. Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Serves a live dashboard of a team on 127.0.0.1: one card per server with its connection and
 * breaker state highlighted on their statecharts, its tools and last error; the event log; call
 * rate, error rate and latency charts; the health verdict. The page gets a snapshot and then every
 * change over server-sent events (`/api/events`); `/api/snapshot` serves the same snapshot as JSON.
 * Everything it loads comes from this server (no CDN), so it works offline.
 *
 * @example
 * const team = await new MCPTeamBuilder('ops').withLlm(createChatModel()).withMcpServers(config).build();
 * const dashboard = await serveDashboard(team, { port: 4343 });
 * console.log(`dashboard: ${dashboard.url}`);
 * // later
 * await dashboard.close();
 * await team.cleanup();
 */
export async function serveDashboard(
  team: DashboardTeam,
  options: DashboardOptions = {},
): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && options.allowRemote !== true) {
    throw new ConfigurationError(
      `serveDashboard: host "${host}" is not a loopback address. The dashboard has no login; bind 127.0.0.1 (the default), or pass allowRemote: true if a proxy in front of it authenticates users.`,
    );
  }
  const port = options.port ?? 4343;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigurationError(`serveDashboard: port must be an integer in 0..65535, got ${String(port)}.`);
  }
  const checker =
    options.health === undefined
      ? new HealthChecker(team, { intervalMs: options.healthIntervalMs ?? 10_000 }).start()
      : undefined;
  const health = options.health === false ? undefined : (options.health ?? checker);
  const model = new DashboardModel(team, { ...options, health });
  const assets = dashboardAssets();
  const streams = new Set<ServerResponse>();
  // Generated per serve: only a page this server sent knows it, and a restart invalidates it.
  const token = createSessionToken();
  const server = createServer((req, res) => {
    const port = boundPort(server);
    handle(req, res, {
      assets,
      model,
      streams,
      host,
      port,
      checkHost: !options.allowRemote,
      team,
      token,
      actions:
        options.actions === false
          ? undefined
          : { team, token, redactor: model.redactor, origins: originsOf(port) },
    });
  });
  try {
    await listen(server, port, host);
  } catch (e) {
    model.close();
    checker?.stop();
    throw new ConfigurationError(
      `serveDashboard: cannot listen on ${host}:${port} (${(e as Error).message}). Choose another port, or 0 for any free one.`,
      { cause: e },
    );
  }
  const actualPort = boundPort(server);
  let closed: Promise<void> | undefined;
  return {
    url: new URL(`http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`),
    port: actualPort,
    model,
    close() {
      closed ??= (async () => {
        model.close();
        checker?.stop();
        for (const res of streams) res.end();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function boundPort(server: Server): number {
  return (server.address() as AddressInfo | null)?.port ?? 0;
}

interface Context {
  assets: Map<string, Asset>;
  model: DashboardModel;
  streams: Set<ServerResponse>;
  host: string;
  port: number;
  checkHost: boolean;
  team: DashboardTeam;
  token: string;
  actions: ActionContext | undefined;
}

function handle(req: IncomingMessage, res: ServerResponse, ctx: Context): void {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const page = path === '/index.html' ? '/' : path;
  const asset = ctx.assets.get(page);
  const tools = /^\/api\/servers\/([^/]+)\/tools$/.exec(path);
  // A page on another site must not read the dashboard through a DNS name that points at 127.0.0.1.
  if (ctx.checkHost && !hostAllowed(req.headers.host, ctx.port))
    reply(res, 421, 'Unexpected Host header: open the dashboard at http://127.0.0.1:PORT/.');
  else if (req.method === 'POST' && ctx.actions && path.startsWith('/api/'))
    handleAction(req, res, path, ctx.actions);
  else if (req.method !== 'GET' && req.method !== 'HEAD')
    reply(
      res,
      405,
      ctx.actions ? 'Only GET, HEAD and the POST actions are served.' : 'Only GET and HEAD are served.',
    );
  else if (path === '/api/events') stream(res, ctx);
  else if (tools) serveTools(res, ctx, tools[1] ?? '');
  else if (path === '/api/snapshot') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(ctx.model.snapshot()));
  } else if (path === '/favicon.ico') {
    res.writeHead(204);
    res.end();
  } else if (!asset) reply(res, 404, `Not found: ${path}`);
  else {
    readAsset(asset).then(
      (bytes) => {
        // The page carries this session's token: never cached, never framed by another site.
        const body = page === '/' ? withToken(bytes, ctx.token) : bytes;
        res.writeHead(200, {
          'content-type': asset.type,
          'cache-control': page === '/' ? 'no-store' : 'no-cache',
          ...(page === '/'
            ? { 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'" }
            : {}),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (e: unknown) => reply(res, 500, `Cannot read ${path}: ${(e as Error).message}`),
    );
  }
}

function stream(res: ServerResponse, ctx: Context): void {
  openEventStream(res);
  writeMessage(res, { type: 'snapshot', data: ctx.model.snapshot() });
  const subscription = ctx.model.messages$.subscribe({
    next: (message) => writeMessage(res, message),
    complete: () => res.end(),
  });
  ctx.streams.add(res);
  res.on('close', () => {
    subscription.unsubscribe();
    ctx.streams.delete(res);
  });
}

const TOKEN_SLOT = '<meta name="azcore-token" content="" />';

function withToken(page: Buffer, token: string): Buffer {
  return Buffer.from(
    page.toString('utf8').replace(TOKEN_SLOT, `<meta name="azcore-token" content="${token}" />`),
  );
}

function serveTools(res: ServerResponse, ctx: Context, raw: string): void {
  let name = '';
  try {
    name = decodeURIComponent(raw);
  } catch {
    // An undecodable name is no server's.
  }
  if (!ctx.model.serverView(name)) {
    sendRefusal(res, 404, 'NO_SUCH_SERVER', `No server named "${name}".`);
    return;
  }
  const tools = toolsOf(ctx.team, name, ctx.model.serverView(name)?.offered ?? []);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ server: name, tools: ctx.model.redactor.redactDeep(tools) }));
}

function originsOf(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]);
}

function hostAllowed(header: string | undefined, port: number): boolean {
  if (!header) return false;
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(header.toLowerCase());
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}
