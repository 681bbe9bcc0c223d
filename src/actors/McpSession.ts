import type { Transport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config/serverConfig.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import { createTransport, type TransportHandle } from '../transports/createTransport.js';
import { releaseHandlersOfFailedSends } from './releaseFailedSends.js';

/** What the session tells its owner. All callbacks are optional. */
export interface SessionHooks {
  /** The live connection ended without being asked to (process exit, stream closed). */
  onLost?(error: AzcoreError): void;
  onStderr?(line: string): void;
  /** The server announced a new tool list. */
  onToolsChanged?(): void;
  /** A non-fatal transport problem (a garbage line, a failed SSE reconnect). */
  onTransportError?(error: AzcoreError): void;
}

/**
 * Supplies the transport of each connect attempt instead of the built-in stdio/HTTP/SSE ones: an
 * SDK `InMemoryTransport`, a fault-injecting wrapper, a WebSocket... Must return a fresh transport
 * every call (a reconnect never reuses one).
 */
export type TransportFactory = (config: ServerConfig) => Transport | TransportHandle;

function asHandle(t: Transport | TransportHandle): TransportHandle {
  if ('transport' in t && typeof t.close === 'function' && 'send' in t.transport) return t;
  const transport = t as Transport;
  return { transport, close: () => transport.close() };
}

/** Client identity sent in `initialize`. */
export interface ClientInfo {
  name: string;
  version: string;
}

/**
 * Owns the SDK Client and the transport of one server: opens a fresh pair per connect attempt (a
 * session-expired reconnect must not reuse the old session id), and makes sure callbacks of a
 * replaced or deliberately closed pair never reach the owner.
 */
export class McpSession {
  readonly #config: ServerConfig;
  readonly #hooks: SessionHooks;
  readonly #clientInfo: ClientInfo;
  readonly #transportFactory: TransportFactory | undefined;
  #client: Client | undefined;
  #handle: TransportHandle | undefined;
  #generation = 0;
  #exit: { code: number | null; signal: string | null } | undefined;

  constructor(
    config: ServerConfig,
    hooks: SessionHooks,
    clientInfo: ClientInfo,
    transportFactory?: TransportFactory,
  ) {
    this.#config = config;
    this.#transportFactory = transportFactory;
    this.#hooks = hooks;
    this.#clientInfo = clientInfo;
  }

  /** The live client, or undefined between connections. */
  get client(): Client | undefined {
    return this.#client;
  }

  get pid(): number | undefined {
    return this.#handle?.pid;
  }

  /**
   * Opens a new connection, replacing any previous one. Rejects with a typed error; on abort the
   * half-open transport is closed (and a stdio child killed) before the promise settles.
   */
  async open(signal: AbortSignal, timeoutMs: number): Promise<Client> {
    await this.close();
    const generation = ++this.#generation;
    const live = () => generation === this.#generation;
    const server = this.#config.name;
    this.#exit = undefined;
    const handle = this.#transportFactory
      ? asHandle(this.#transportFactory(this.#config))
      : createTransport(this.#config, {
          onStderr: (line) => live() && this.#hooks.onStderr?.(line),
          onExit: (info) => {
            if (live()) this.#exit = info;
          },
        });
    releaseHandlersOfFailedSends(handle.transport);
    const client = new Client(this.#clientInfo, { capabilities: {} });
    client.onerror = (e) => live() && this.#hooks.onTransportError?.(classifyError(e, { server }));
    client.onclose = () => {
      if (!live() || this.#client !== client) return;
      this.#client = undefined;
      this.#hooks.onLost?.(this.#lostError());
    };
    client.setNotificationHandler('notifications/tools/list_changed', async () => {
      if (live()) this.#hooks.onToolsChanged?.();
    });
    try {
      await client.connect(handle.transport, { signal, timeout: timeoutMs });
      if (signal.aborted) throw signal.reason;
    } catch (e) {
      this.#generation++;
      await closeQuietly(client, handle);
      throw classifyError(e, { server, signal, timeoutMs });
    }
    this.#client = client;
    this.#handle = handle;
    return client;
  }

  /** Closes the current connection, if any. Idempotent; never throws. */
  async close(): Promise<void> {
    const client = this.#client;
    const handle = this.#handle;
    this.#client = undefined;
    this.#handle = undefined;
    this.#generation++;
    if (client || handle) await closeQuietly(client, handle);
  }

  #lostError(): AzcoreError {
    const exit = this.#exit;
    const how = exit
      ? exit.signal
        ? `was killed by ${exit.signal}`
        : `exited with code ${exit.code}`
      : 'closed';
    return new ConnectionError(`The server connection ${how}.`, {
      server: this.#config.name,
      code: exit ? 'PROCESS_EXIT' : 'TRANSPORT_CLOSED',
      hint: 'Reconnecting with backoff; check the server log (stderr events) if it keeps happening.',
    });
  }
}

async function closeQuietly(client: Client | undefined, handle: TransportHandle | undefined): Promise<void> {
  try {
    await client?.close();
  } catch {
    // closing a broken client may throw; the handle below is what releases the process
  }
  try {
    await handle?.close();
  } catch {
    // already closed
  }
}
