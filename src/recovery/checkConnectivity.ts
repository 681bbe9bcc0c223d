import { Client } from '@modelcontextprotocol/client';
import { parseServerConfig } from '../config/serverConfig.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { Deadline } from '../resilience/Deadline.js';
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

/** The server completed the MCP handshake. */
export interface ConnectivityOk {
  readonly ok: true;
  readonly url: string;
  readonly transport: 'streamableHttp' | 'sse';
  readonly latencyMs: number;
  /** Name and version the server announced in `initialize`. */
  readonly server: { name: string; version: string } | undefined;
  /** Capability groups the server announced: `tools`, `resources`, `prompts`, `logging`... */
  readonly capabilities: string[];
}

/** The probe failed. `reachable` tells "something answered, but not a usable MCP server" from "nothing answered". */
export interface ConnectivityFailed {
  readonly ok: false;
  readonly url: string;
  readonly transport: 'streamableHttp' | 'sse';
  readonly latencyMs: number;
  readonly reachable: boolean;
  readonly error: AzcoreError;
}

export type ConnectivityResult = ConnectivityOk | ConnectivityFailed;

const CLIENT = { name: 'azcore-connectivity-check', version: VERSION };

/** An HTTP status, an auth refusal or a malformed answer all mean the host answered. */
function answered(error: AzcoreError): boolean {
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
 * `test_server_connectivity`): runs the real MCP `initialize` handshake, then closes. Never throws;
 * the result says whether the server is usable, how long it took, and otherwise the typed error
 * (refused, timed out, 401, not an MCP endpoint, invalid URL...).
 *
 * The guide's version fetched `/health`, which MCP servers do not serve, and read every non-200 as
 * "down": a server that wants a token and one that is off looked the same.
 *
 * @example
 * const probe = await checkConnectivity('https://search.example.com/mcp', { timeoutMs: 5_000 });
 * if (probe.ok) builder.withMcpServerHttp(probe.url);
 * else console.warn(`skipping search: ${probe.error.message}`);
 */
export async function checkConnectivity(
  url: string,
  options: ConnectivityOptions = {},
): Promise<ConnectivityResult> {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const transport = pickTransport(url, options.transport);
  const started = clock.now();
  const latency = () => clock.now() - started;
  let config: ReturnType<typeof parseServerConfig>;
  try {
    config = parseServerConfig({
      transport,
      name: probeName(url),
      url,
      connectTimeoutMs: timeoutMs,
      ...(options.headers ? { headers: options.headers } : {}),
    });
  } catch (e) {
    return { ok: false, url, transport, latencyMs: 0, reachable: false, error: classifyError(e) };
  }
  const deadline = Deadline.after(timeoutMs, { clock, signal: options.signal, step: 'connectivity check' });
  const handle = createTransport(config);
  const client = new Client(CLIENT, { capabilities: {} });
  try {
    await client.connect(handle.transport, { signal: deadline.signal, timeout: timeoutMs });
    if (deadline.signal.aborted) throw deadline.signal.reason;
    const capabilities = Object.keys(client.getServerCapabilities() ?? {}).sort();
    const info = client.getServerVersion();
    await endSession(handle.transport);
    return {
      ok: true,
      url,
      transport,
      latencyMs: latency(),
      server: info ? { name: info.name, version: info.version } : undefined,
      capabilities,
    };
  } catch (e) {
    const error = classifyError(e, { server: config.name, signal: deadline.signal, timeoutMs });
    return { ok: false, url, transport, latencyMs: latency(), reachable: answered(error), error };
  } finally {
    deadline.dispose();
    await client.close().catch(() => undefined);
    await handle.close().catch(() => undefined);
  }
}

/** A probe should not leave a Streamable HTTP session behind on the server: DELETE it. */
async function endSession(transport: unknown): Promise<void> {
  const t = transport as { terminateSession?: () => Promise<void>; sessionId?: string };
  if (typeof t.terminateSession === 'function' && t.sessionId)
    await t.terminateSession().catch(() => undefined);
}
