import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import type { Redactor } from '../errors/redact.js';
import { summarizeError } from '../events/EventBus.js';
import type { BreakerStateName, ConnectionStateName } from '../events/RuntimeEvent.js';
import type { DashboardServerHandle, DashboardTeam } from './DashboardModel.js';
import type {
  DashboardActionError,
  DashboardActionName,
  DashboardActionResult,
  DashboardToolInfo,
} from './types.js';

/** The request header that carries the page's session token on every POST. */
export const TOKEN_HEADER = 'x-azcore-token';

/** A fresh session token: 32 random bytes, base64url (safe in an HTML attribute and a header). */
export function createSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares in constant time (both sides hashed first, so their lengths leak nothing either). */
export function tokenMatches(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** What the action handlers need from the dashboard server. */
export interface ActionContext {
  team: DashboardTeam;
  token: string;
  redactor: Redactor;
  /** The origins the page is served from (`http://127.0.0.1:PORT`, ...). */
  origins: ReadonlySet<string>;
}

const MAX_BODY_BYTES = 1_000_000;
const MAX_TIMEOUT_MS = 600_000;

/**
 * True for a peer on this machine's loopback: `::1` and all of 127.0.0.0/8 (plain or IPv4-mapped).
 *
 * @example isLoopbackPeer('127.0.0.2') // true; isLoopbackPeer('192.0.2.9') // false
 */
export function isLoopbackPeer(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(address);
}

class RequestRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `POST /api/servers/<name>/reconnect`, `POST /api/breakers/<name>/reset|isolate`,
 * `POST /api/servers/<name>/tools/<tool>/call` (JSON body `{ arguments, timeoutMs? }`). Each runs
 * the runtime's own method (`reconnect()`, `reset()`, `isolate()`, `callTool()` through breaker,
 * retry and deadline), whose events are the record of what happened, and answers with a
 * {@link DashboardActionResult} or a {@link DashboardActionError}.
 */
export function handleAction(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  ctx: ActionContext,
): void {
  let action: DashboardActionName | 'request' = 'request';
  run()
    .then((result) => send(res, 200, ctx.redactor.redactDeep(result)))
    .catch((e: unknown) => {
      const error = toActionError(action, e);
      send(res, error.status, ctx.redactor.redactDeep(error));
    });

  async function run(): Promise<DashboardActionResult> {
    authorize(req, ctx);
    const route = routeOf(path);
    action = route.action;
    if (route.action === 'tool.call') {
      const server = serverOf(ctx.team, route.name);
      const body = await readJson(req);
      // A page that goes away cancels its call (the server is told, as for any cancelled call).
      const abandoned = new AbortController();
      res.on('close', () => {
        if (!res.writableEnded) abandoned.abort();
      });
      return callTool(server, route.name, route.tool, body, abandoned.signal);
    }
    if (route.action === 'reconnect') {
      const server = serverOf(ctx.team, route.name);
      if (!server.reconnect) throw new RequestRefused(501, 'NOT_SUPPORTED', 'This server cannot reconnect.');
      server.reconnect();
      const state = (server.state ?? ctx.team.getServerStates()[route.name]?.state) as ConnectionStateName;
      return { ok: true, action: 'reconnect', server: route.name, state };
    }
    const breaker = serverOf(ctx.team, route.name).breaker;
    if (!breaker) throw new RequestRefused(501, 'NOT_SUPPORTED', 'This server has no breaker to drive.');
    if (route.action === 'breaker.reset') breaker.reset();
    else breaker.isolate();
    return { ok: true, action: route.action, breaker: route.name, state: breaker.state as BreakerStateName };
  }
}

/** `GET /api/servers/<name>/tools`: the listed tools with their input schemas, for the tool form. */
export function toolsOf(team: DashboardTeam, name: string, offered: readonly string[]): DashboardToolInfo[] {
  const server = serverOf(team, name);
  const live = new Set(offered);
  return (server.cachedTools ?? []).map((t) => ({
    name: t.name,
    description: t.description,
    inputSchema: t.inputSchema ?? { type: 'object' },
    offered: live.has(t.name),
  }));
}

/** Sends a typed error for a request refused before any action (bad route, token, origin...). */
export function sendRefusal(res: ServerResponse, status: number, code: string, message: string): void {
  const error: DashboardActionError = {
    ok: false,
    action: 'request',
    status,
    error: { kind: 'request', code, message, retryable: false },
  };
  send(res, status, error);
}

/** Loopback peer, same-origin (when the browser says), the session token: 401 without, 403 wrong. */
function authorize(req: IncomingMessage, ctx: ActionContext): void {
  const peer = req.socket.remoteAddress ?? '';
  if (!isLoopbackPeer(peer)) {
    throw new RequestRefused(403, 'NOT_LOOPBACK', 'Actions are accepted from this machine only.');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !ctx.origins.has(origin.toLowerCase())) {
    throw new RequestRefused(
      403,
      'BAD_ORIGIN',
      `Actions are accepted from the dashboard page only, not from ${origin}.`,
    );
  }
  const given = req.headers[TOKEN_HEADER];
  if (typeof given !== 'string' || given === '') {
    throw new RequestRefused(
      401,
      'NO_TOKEN',
      `Missing the ${TOKEN_HEADER} header: reload the dashboard page.`,
    );
  }
  if (!tokenMatches(given, ctx.token)) {
    throw new RequestRefused(
      403,
      'BAD_TOKEN',
      `Wrong ${TOKEN_HEADER}: the dashboard was restarted; reload the page.`,
    );
  }
}

type Route =
  | { action: 'reconnect'; name: string }
  | { action: 'breaker.reset' | 'breaker.isolate'; name: string }
  | { action: 'tool.call'; name: string; tool: string };

function routeOf(path: string): Route {
  const parts = path.split('/').slice(1);
  const decode = (part: string | undefined) => {
    try {
      return decodeURIComponent(part ?? '');
    } catch {
      return '';
    }
  };
  const [api, kind, name, verb, tool, call] = [
    parts[0],
    parts[1],
    decode(parts[2]),
    parts[3],
    decode(parts[4]),
    parts[5],
  ];
  if (api === 'api' && name && parts.length === 4) {
    if (kind === 'servers' && verb === 'reconnect') return { action: 'reconnect', name };
    if (kind === 'breakers' && verb === 'reset') return { action: 'breaker.reset', name };
    if (kind === 'breakers' && verb === 'isolate') return { action: 'breaker.isolate', name };
  }
  if (
    api === 'api' &&
    kind === 'servers' &&
    name &&
    verb === 'tools' &&
    tool &&
    call === 'call' &&
    parts.length === 6
  ) {
    return { action: 'tool.call', name, tool };
  }
  throw new RequestRefused(404, 'NO_SUCH_ACTION', `No action at ${path}.`);
}

function serverOf(team: DashboardTeam, name: string): DashboardServerHandle {
  const server = team.getServer(name);
  if (!server)
    throw new RequestRefused(404, 'NO_SUCH_SERVER', `No server named "${name}" in team ${team.name}.`);
  return server;
}

async function callTool(
  server: DashboardServerHandle,
  name: string,
  tool: string,
  body: unknown,
  signal: AbortSignal,
): Promise<DashboardActionResult> {
  if (!server.callTool) throw new RequestRefused(501, 'NOT_SUPPORTED', 'This server cannot call tools.');
  const { arguments: args = {}, timeoutMs } = (body ?? {}) as { arguments?: unknown; timeoutMs?: unknown };
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new RequestRefused(400, 'BAD_ARGUMENTS', '"arguments" must be a JSON object.');
  }
  if (
    timeoutMs !== undefined &&
    !(Number.isInteger(timeoutMs) && (timeoutMs as number) > 0 && (timeoutMs as number) <= MAX_TIMEOUT_MS)
  ) {
    throw new RequestRefused(400, 'BAD_TIMEOUT', `"timeoutMs" must be an integer in 1..${MAX_TIMEOUT_MS}.`);
  }
  const listed = server.cachedTools;
  if (listed && !listed.some((t) => t.name === tool)) {
    throw new RequestRefused(404, 'NO_SUCH_TOOL', `Server "${name}" lists no tool "${tool}".`);
  }
  const result = (await server.callTool(tool, args as Record<string, unknown>, {
    timeout: timeoutMs as number | undefined,
    signal,
  })) as { content?: unknown[]; structuredContent?: unknown; isError?: boolean };
  return {
    ok: true,
    action: 'tool.call',
    server: name,
    tool,
    result: {
      content: result.content ?? [],
      ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
      isError: result.isError === true,
    },
  };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    return Promise.reject(new RequestRefused(415, 'NOT_JSON', 'Send the arguments as application/json.'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RequestRefused(413, 'TOO_LARGE', `The request body is over ${MAX_BODY_BYTES} bytes.`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text.trim() === '' ? {} : JSON.parse(text));
      } catch {
        reject(new RequestRefused(400, 'BAD_JSON', 'The request body is not valid JSON.'));
      }
    });
  });
}

/** HTTP status of a runtime failure: the server side failed (502) unless the kind says better. */
const STATUS_OF_KIND: Record<string, number> = { circuitOpen: 503, timeout: 504, input: 422, cancelled: 409 };

function toActionError(action: DashboardActionName | 'request', e: unknown): DashboardActionError {
  if (e instanceof RequestRefused) {
    return {
      ok: false,
      action,
      status: e.status,
      error: { kind: 'request', code: e.code, message: e.message, retryable: false },
    };
  }
  const error = isAzcoreError(e) ? e : classifyError(e);
  return { ok: false, action, status: STATUS_OF_KIND[error.kind] ?? 502, error: summarizeError(error) };
}

function send(
  res: ServerResponse,
  status: number,
  body: DashboardActionResult | DashboardActionError | object,
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
