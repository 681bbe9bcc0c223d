import { Client } from '@modelcontextprotocol/client';
import { parseServerConfig } from '../config/serverConfig.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import type { Outcome } from '../policy/Outcome.js';
import type { PolicyContext } from '../policy/PolicyContext.js';
import { run } from '../policy/run.js';
import { timeout } from '../policy/timeout.js';
import type { Clock } from '../resilience/Clock.js';
import { createTransport } from '../transports/createTransport.js';
import { VERSION } from '../version.js';

/** Options of {@link checkConnectivity}. */
export interface ConnectivityOptions {
  /** Budget of the whole probe (connect and MCP handshake). Default 5 000 ms (the guide's 5 s). */
  timeoutMs?: number | undefined;
  /** Default `auto`: legacy SSE when the path ends in `/sse`, Streamable HTTP otherwise. */
  transport?: 'auto' | 'streamableHttp' | 'sse' | undefined;
  /** Sent with every request, e.g. `{ Authorization: 'Bearer ...' }`: a probe without them gets a 401. */
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
}

/**
 * What a probe found when the server completed the MCP handshake: the `value` of a `success` outcome.
 *
 * @example if (probe.status === 'success') console.log(probe.value.server?.name, probe.value.capabilities);
 */
export interface Connectivity {
  readonly url: string;
  readonly transport: 'streamableHttp' | 'sse';
  readonly latencyMs: number;
  /** Name and version the server announced in `initialize`. */
  readonly server: { name: string; version: string } | undefined;
  /** Capability groups the server announced: `tools`, `resources`, `prompts`, `logging`... */
  readonly capabilities: string[];
}

const CLIENT = { name: 'azcore-connectivity-check', version: VERSION };

/**
 * Whether a failed probe reached something: an HTTP status, an auth refusal or a malformed answer
 * all mean the host answered (but is not a usable MCP server for us); refused, timed out or an
 * invalid URL mean nothing answered.
 *
 * @example if (probe.status === 'failed') console.warn(isReachable(probe.error) ? 'answering but unusable' : 'unreachable');
 */
export function isReachable(error: AzcoreError): boolean {
  return (
    error.kind === 'auth' ||
    error.kind === 'protocol' ||
    error.code.startsWith('HTTP_') ||
    error.code === 'SESSION_EXPIRED'
  );
}

function pickTransport(url: string, wanted: ConnectivityOptions['transport']): 'streamableHttp' | 'sse' {
  if (wanted === 'sse' || wanted === 'streamableHttp') return wanted;
  try {
    return /\/sse\/?$/.test(new URL(url).pathname) ? 'sse' : 'streamableHttp';
  } catch {
    return 'streamableHttp';
  }
}

/** Errors name the server: here the URL's host, e.g. `[127.0.0.1-9]`. */
function probeName(url: string): string {
  try {
    return new URL(url).host.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'probe';
  } catch {
    return 'probe';
  }
}

/**
 * Probes an MCP server over HTTP before a team depends on it (the guide's
 * `test_server_connectivity`): runs the real MCP `initialize` handshake under a `timeout` policy,
 * then closes. Resolves one `Outcome`, never a throw: `success` with what the server announced and
 * how long it took, or `failed` with the typed error (refused, timed out, 401, not an MCP endpoint,
 * invalid URL...; {@link isReachable} tells "answered but unusable" from "nothing answered"). Errors
 * name the host as their server.
 *
 * The guide's version fetched `/health`, which MCP servers do not serve, and read every non-200 as
 * "down": a server that wants a token and one that is off looked the same.
 *
 * @example
 * const probe = await checkConnectivity('https://search.example.com/mcp', { timeoutMs: 5_000 });
 * if (probe.status === 'success') builder.withMcpServerHttp(probe.value.url);
 * else console.warn(`skipping search: ${probe.error.message}`);
 */
export function checkConnectivity(
  url: string,
  options: ConnectivityOptions = {},
): Promise<Outcome<Connectivity>> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const transport = pickTransport(url, options.transport);
  const name = probeName(url);
  const probe = async (ctx: PolicyContext): Promise<Connectivity> => {
    const started = ctx.clock.now();
    const config = parseServerConfig({
      transport,
      name,
      url,
      connectTimeoutMs: timeoutMs,
      ...(options.headers ? { headers: options.headers } : {}),
    });
    const handle = createTransport(config);
    const client = new Client(CLIENT, { capabilities: {} });
    try {
      await client.connect(handle.transport, { signal: ctx.signal, timeout: timeoutMs });
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const capabilities = Object.keys(client.getServerCapabilities() ?? {}).sort();
      const info = client.getServerVersion();
      await endSession(handle.transport);
      return {
        url,
        transport,
        latencyMs: ctx.clock.now() - started,
        server: info ? { name: info.name, version: info.version } : undefined,
        capabilities,
      };
    } finally {
      await client.close().catch(() => undefined);
      await handle.close().catch(() => undefined);
    }
  };
  return run(timeout({ ms: timeoutMs, name: 'connectivity check' }), probe, {
    clock: options.clock,
    signal: options.signal,
    source: name,
    server: name,
  });
}

/** A probe should not leave a Streamable HTTP session behind on the server: DELETE it. */
async function endSession(transport: unknown): Promise<void> {
  const t = transport as { terminateSession?: () => Promise<void>; sessionId?: string };
  if (typeof t.terminateSession === 'function' && t.sessionId)
    await t.terminateSession().catch(() => undefined);
}
