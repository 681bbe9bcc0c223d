import {
  Client,
  type ClientCapabilities,
  type ClientOptions,
  type ConnectOptions,
  type DiscoverResult,
  type FetchLike,
  type LoggingMessageNotificationParams,
  type OAuthClientProvider,
  type Transport,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import type { ProtocolEra } from '../../machines/connection.machine.js';
import type { ServerConfig, TransportKind } from '../config/serverConfig.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import { httpStatusOf } from '../errors/fromTransportFailure.js';
import type { ElicitationHandler, SamplingHandler } from '../protocol/serverRequests.js';
import type { TransportHandle } from '../transports/createTransport.js';
import type { ExitInfo } from '../transports/StdioProcessTransport.js';
import { ServerRequestAnswers, type ServerRequestHooks } from './answerServerRequests.js';
import { forwardServerLogs, type ServerLogEntry, toServerLogEntry } from './serverLogs.js';
import { StderrTail } from './stderrTail.js';

/** What the session tells its owner. All callbacks are optional. */
export interface SessionHooks extends ServerRequestHooks {
  /** The live connection ended without being asked to (process exit, stream closed). */
  onLost?(error: AzcoreError): void;
  onStderr?(line: string): void;
  /** The server announced a new tool list (coalesced: a burst of announcements is one call). */
  onToolsChanged?(): void;
  /** A non-fatal transport problem (a garbage line, a failed SSE reconnect). */
  onTransportError?(error: AzcoreError): void;
  /** A log message of the server (`notifications/message`); the owner rate-limits what it writes. */
  onServerLog?(entry: ServerLogEntry): void;
}

/** How the session answers what the server asks of the client. */
export interface SessionHandlers {
  elicitation?: ElicitationHandler | undefined;
  sampling?: SamplingHandler | undefined;
  /** Wraps the fetch of the HTTP transports (OAuth: one shared refresh on a 401, then the request again). */
  wrapFetch?: ((next: FetchLike) => FetchLike) | undefined;
  /**
   * OAuth: the SDK provider of the config's `oauth`, awaited by each connect (the OAuth code loads by
   * the first one, so a connection without `oauth` never loads it).
   */
  authProvider?: (() => Promise<OAuthClientProvider>) | undefined;
}

/**
 * Supplies the transport of each connect attempt instead of the built-in stdio/HTTP/SSE ones: an
 * SDK `InMemoryTransport`, a fault-injecting wrapper, a WebSocket... Must return a fresh transport
 * every call (a reconnect never reuses one).
 */
export type TransportFactory = (config: ServerConfig) => Transport | TransportHandle;

function asHandle(t: Transport | TransportHandle): TransportHandle {
  if ('transport' in t && typeof t.close === 'function' && 'send' in t.transport) return t;
  return new PlainHandle(t as Transport);
}

/** The handle of a transport a factory returned bare: closing it closes the transport (a method, no closure). */
class PlainHandle implements TransportHandle {
  readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

/** Client identity sent in `initialize` (2025) or the `_meta` envelope (2026). */
export interface ClientInfo {
  name: string;
  version: string;
}

type Transports = typeof import('../transports/createTransport.js');
let transports: Transports | undefined;

/**
 * The transports (stdio with child_process and cross-spawn, SSE and Streamable HTTP with node:http
 * and node:https) are loaded by the first connect: importing the runtime does not pay for them.
 */
async function loadTransports(): Promise<Transports> {
  transports ??= await import('../transports/createTransport.js');
  return transports;
}

/**
 * The elicitation capability, one frozen object for every client (the SDK copies the capabilities'
 * top level and only reads below it): three objects less per connection.
 */
const ELICITATION = Object.freeze({ form: Object.freeze({}), url: Object.freeze({}) });

/** The capabilities of a client with no sampling handler and no roots: one object for every client. */
const ELICITATION_ONLY: ClientCapabilities = Object.freeze({ elicitation: ELICITATION });

/**
 * The SDK Client of one connect attempt, carrying what the attempt's callbacks read: the client's
 * `onerror` and `onclose` are then functions shared by every client (heap per idle connection).
 */
class AttemptClient extends Client {
  readonly session: McpSession;
  /** The session's generation this attempt was opened in: a later one means replaced or closed. */
  readonly generation: number;
  /** Transport errors held during a handshake that may still fall back to legacy SSE. */
  held: AzcoreError[] | undefined;
  /** How a built-in transport's process ended, if it did (read by a failed connect). */
  exited: ExitInfo | undefined;
  /** The last stderr lines of a built-in transport's process. */
  stderr: StderrTail | undefined;

  constructor(session: McpSession, generation: number, info: ClientInfo, options: ClientOptions) {
    super(info, options);
    this.session = session;
    this.generation = generation;
  }
}

/** A client's `onerror` and `onclose`, one function each for every client (set by McpSession's static block). */
let onClientError: (this: Client, e: Error) => void;
let onClientClose: (this: Client) => void;
/** A client's tools-changed and server-log callbacks, bound to the client (the SDK calls them bare). */
let onClientToolsChanged: (this: AttemptClient) => void;
let onClientLog: (this: AttemptClient, notification: { params: LoggingMessageNotificationParams }) => void;

type VersionNegotiation = NonNullable<ClientOptions['versionNegotiation']>;

/** The last string-mode negotiation made: the next connect with the same budget reuses it. */
let lastNegotiation: { mode: 'auto' | 'legacy'; probe: { timeoutMs: number } } | undefined;

/** The tools config's `onChanged` until the client it is bound to exists (replaced before any connect). */
function notYetBound(): void {}

/** Share of the connect budget the era probe may use, and its cap. */
const PROBE_SHARE = 1 / 3;
const PROBE_CAP_MS = 5_000;

/**
 * Owns the SDK Client and the transport of one server: opens a fresh pair per connect attempt (a
 * session-expired reconnect must not reuse the old session id), negotiates the protocol era once
 * and reuses the verdict on reconnects, and makes sure callbacks of a replaced or deliberately
 * closed pair never reach the owner.
 */
export class McpSession extends ServerRequestAnswers<SessionHandlers, SessionHooks> {
  readonly #clientInfo: ClientInfo;
  readonly #transportFactory: TransportFactory | undefined;
  #client: Client | undefined;
  #handle: TransportHandle | undefined;
  /** Clients this side closed on purpose (replaced or closed): their failures are not the server's. */
  #retired: WeakSet<Client> | undefined;
  #generation = 0;
  #exit: ExitInfo | undefined;
  /** The last stderr lines of the live connection's process, quoted when it exits. */
  #stderr: StderrTail | undefined;
  #discover: DiscoverResult | undefined;
  /**
   * What a `streamableHttp` URL turned out to serve: unknown until the first connect succeeds,
   * `sse` once it answered the first POST as a legacy HTTP+SSE server. Kept across reconnects.
   */
  #httpVerdict: 'streamableHttp' | 'sse' | undefined;

  constructor(
    config: ServerConfig,
    hooks: SessionHooks,
    clientInfo: ClientInfo,
    transportFactory?: TransportFactory,
    handlers: SessionHandlers = {},
  ) {
    // The session answers its Clients' server requests itself: no object of its own per connection.
    super(config, handlers, hooks);
    this.#transportFactory = transportFactory;
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
   * The transport in use (or to be used next): the configured one, except a `streamableHttp` URL
   * that answered as a legacy HTTP+SSE server, which stays `sse` for every reconnect.
   */
  get transport(): TransportKind {
    return this.#httpVerdict === 'sse' ? 'sse' : this.config.transport;
  }

  /** The era of the live connection. */
  get era(): ProtocolEra | undefined {
    return this.#client?.getProtocolEra();
  }

  /**
   * Opens a new connection, replacing any previous one. `era` is the verdict of an earlier
   * connect: given, no probe is sent. Rejects with a typed error; on abort the half-open
   * transport is closed (and a stdio child killed) before the promise settles.
   */
  async open(
    signal: AbortSignal,
    timeoutMs: number,
    era?: ProtocolEra,
  ): Promise<{ client: Client; era: ProtocolEra; protocolVersion: string | undefined }> {
    try {
      return await this.#open(signal, timeoutMs, era);
    } catch (e) {
      if (this.#fallsBackToSse(e, signal)) return this.#openLegacySse(signal, timeoutMs, era, e);
      // A legacy stdio server that exits on the unknown `server/discover` probe took its process
      // with it: that is a legacy verdict, answered on a fresh process (never the user's problem).
      if (
        era !== undefined ||
        !this.#probes() ||
        this.config.transport !== 'stdio' ||
        !isClosed(e) ||
        signal.aborted
      ) {
        throw e;
      }
      return this.#open(signal, timeoutMs, 'legacy');
    }
  }

  /**
   * The spec's backwards compatibility: a URL configured as Streamable HTTP whose first POST was
   * answered 400/404/405 is tried once more as a legacy HTTP+SSE server (GET on the same URL). The
   * verdict sticks on success; if SSE fails too, the Streamable HTTP failure is the one reported
   * (an auth refusal of the SSE stream excepted: that is the server's real answer).
   */
  async #openLegacySse(signal: AbortSignal, timeoutMs: number, era: ProtocolEra | undefined, first: unknown) {
    this.#httpVerdict = 'sse';
    try {
      // HTTP+SSE was dropped in 2026-07-28: a server that speaks it is a 2025 server, no probe needed.
      return await this.#open(signal, timeoutMs, era ?? 'legacy');
    } catch (e) {
      this.#httpVerdict = undefined;
      throw (e as AzcoreError).kind === 'auth' ? e : first;
    }
  }

  /** Only before the first successful connect of a `streamableHttp` URL, and only for the spec's signal. */
  #fallsBackToSse(e: unknown, signal: AbortSignal): boolean {
    if (!this.#mayFallBack() || signal.aborted) return false;
    const error = e as AzcoreError;
    if (error.code === 'PROTOCOL_VERSION' || error.code === 'ERA_NEGOTIATION_FAILED') return false;
    for (let cur: unknown = error, depth = 0; cur && depth < 4; depth++) {
      if (transports?.signalsLegacySse(httpStatusOf(cur))) return true;
      cur = (cur as { cause?: unknown }).cause;
    }
    return false;
  }

  #mayFallBack(): boolean {
    return this.config.transport === 'streamableHttp' && this.#httpVerdict === undefined;
  }

  #currentConfig(made: Transports, authProvider: OAuthClientProvider | undefined): ServerConfig {
    const config = authProvider ? { ...this.config, authProvider } : this.config;
    return config.transport === 'streamableHttp' && this.#httpVerdict === 'sse'
      ? made.asLegacySse(config)
      : config;
  }

  async #open(signal: AbortSignal, timeoutMs: number, era: ProtocolEra | undefined) {
    // Awaited only when there is something to wait for (each await is a turn of every connect).
    const made = transports ?? (await loadTransports());
    const authProvider = this.handlers.authProvider ? await this.handlers.authProvider() : undefined;
    if (this.#client || this.#handle) await this.close();
    const generation = ++this.#generation;
    const server = this.config.name;
    this.#exit = undefined;
    const tools = {
      autoRefresh: false,
      // Told at once (no wall-clock timer): the machine's tools region coalesces a burst (a
      // change during a fetch fetches once more), so the next model step sees a new tool.
      debounceMs: 0,
      onChanged: notYetBound,
    };
    const client = new AttemptClient(this, generation, this.#clientInfo, {
      capabilities: this.#capabilities(),
      versionNegotiation: this.#negotiation(timeoutMs),
      listChanged: { tools },
    });
    // Bound to the client, which the SDK reads it from at connect (no bound generation per attempt).
    tools.onChanged = onClientToolsChanged.bind(client);
    // This attempt's own record: a failed connect reads it after the generation has moved on. Only
    // the built-in transports feed it (a factory's transport has no process of ours to watch).
    if (!this.#transportFactory) client.stderr = new StderrTail();
    this.#stderr = client.stderr;
    const config = this.#currentConfig(made, authProvider);
    const handle = this.#transportFactory
      ? asHandle(this.#transportFactory(config))
      : made.createTransport(config, {
          onStderr: (line) => {
            client.stderr?.push(line);
            if (this.#live(client)) this.hooks.onStderr?.(line);
          },
          onExit: (info) => {
            client.exited = info;
            if (this.#live(client)) this.#exit = info;
          },
          ...(this.handlers.wrapFetch ? { wrapFetch: this.handlers.wrapFetch } : {}),
        });
    // While a Streamable HTTP URL may still turn out to be legacy SSE, the transport errors of the
    // handshake are held: a fallback makes them noise ("session expired (404)"), not news.
    if (this.#mayFallBack()) client.held = [];
    // Shared functions: the SDK calls them as methods of the client (`this.onerror?.(e)`).
    client.onerror = onClientError;
    client.onclose = onClientClose;
    this.registerAnswers(client);
    forwardServerLogs(client, onClientLog.bind(client));
    // The SDK's signal and timeout cover the handshake's requests, not the transport's start(): a
    // server that accepts the connection and never answers would hold it (and its socket) forever.
    const abandon = () => void handle.close().catch(() => {});
    signal.addEventListener('abort', abandon, { once: true });
    try {
      await client.connect(handle.transport, { signal, timeout: timeoutMs, ...this.#prior(era) });
      if (signal.aborted) throw signal.reason;
    } catch (e) {
      this.#generation++;
      await closeQuietly(client, handle);
      const error = classifyError(e, { server, signal, timeoutMs });
      this.#release(client, this.#fallsBackToSse(error, signal));
      // The process ended on its own before the handshake finished: say how, and what it said.
      const exited = client.exited;
      throw exited && !signal.aborted && endedBeforeReply(error)
        ? startupExitError(server, exited, client.stderr?.text() ?? '', error)
        : error;
    } finally {
      signal.removeEventListener('abort', abandon);
    }
    this.#client = client;
    this.#handle = handle;
    this.#release(client, !this.#live(client));
    if (this.config.transport === 'streamableHttp') this.#httpVerdict ??= 'streamableHttp';
    const negotiated = client.getProtocolEra() ?? 'legacy';
    this.#discover = negotiated === 'modern' ? client.getDiscoverResult() : undefined;
    return { client, era: negotiated, protocolVersion: client.getNegotiatedProtocolVersion() };
  }

  /** Reports the transport errors a connect attempt held (unless `drop`), and holds no more. */
  #release(client: AttemptClient, drop: boolean): void {
    const errors = client.held ?? [];
    client.held = undefined;
    if (!drop) for (const error of errors) this.hooks.onTransportError?.(error);
  }

  /** The attempt's client is still the one this session stands for (no reconnect or close since). */
  #live(client: AttemptClient): boolean {
    return client.generation === this.#generation;
  }

  static {
    // Shared by every client (the SDK calls them as its methods: `this.onerror?.(e)`), defined
    // here to read the session's private state.
    onClientError = function (this: Client, e: Error): void {
      const client = this as AttemptClient;
      const session = client.session;
      if (client.generation !== session.#generation) return;
      const error = classifyError(e, { server: session.config.name });
      if (client.held) client.held.push(error);
      else session.hooks.onTransportError?.(error);
    };
    onClientClose = function (this: Client): void {
      const client = this as AttemptClient;
      const session = client.session;
      if (client.generation !== session.#generation || session.#client !== client) return;
      session.#client = undefined;
      session.hooks.onLost?.(session.#lostError());
    };
    onClientToolsChanged = function (this: AttemptClient): void {
      if (this.generation === this.session.#generation) this.session.hooks.onToolsChanged?.();
    };
    onClientLog = function (this: AttemptClient, notification): void {
      const session = this.session;
      if (this.generation === session.#generation)
        session.hooks.onServerLog?.(toServerLogEntry(notification.params));
    };
  }

  /**
   * The era's keepalive: `ping` in 2025; in 2026-07-28, which has no ping, `server/discover`
   * (the lightest request a modern server must answer).
   */
  async keepalive(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const client = this.#client;
    if (!client)
      throw new ConnectionError('Not connected.', { server: this.config.name, code: 'NOT_CONNECTED' });
    if (client.getProtocolEra() === 'modern') await client.discover({ signal, timeout: timeoutMs });
    else await client.ping({ signal, timeout: timeoutMs });
  }

  /**
   * True when `client` was closed by this side (a reconnect replaced it, or close()), not by the
   * server: a request that fails on it was interrupted here, which says nothing about the server.
   */
  closedLocally(client: Client): boolean {
    return this.#retired?.has(client) === true;
  }

  /** Closes the current connection, if any. Idempotent; never throws. */
  async close(): Promise<void> {
    const client = this.#client;
    const handle = this.#handle;
    if (client) {
      this.#retired ??= new WeakSet();
      this.#retired.add(client);
    }
    this.#client = undefined;
    this.#handle = undefined;
    this.#generation++;
    if (client || handle) await closeQuietly(client, handle);
  }

  /**
   * The Client's `versionNegotiation`: one frozen object for every connect with the same mode and
   * probe budget (the default ones all share it), not one per attempt.
   */
  #negotiation(timeoutMs: number): VersionNegotiation {
    const mode = this.#mode();
    const probeMs = Math.max(1, Math.min(PROBE_CAP_MS, Math.round(timeoutMs * PROBE_SHARE)));
    if (typeof mode !== 'string') return { mode, probe: { timeoutMs: probeMs } };
    const last = lastNegotiation;
    if (last?.mode === mode && last.probe.timeoutMs === probeMs) return last;
    lastNegotiation = Object.freeze({ mode, probe: Object.freeze({ timeoutMs: probeMs }) });
    return lastNegotiation;
  }

  #probes(): boolean {
    return this.#mode() === 'auto';
  }

  #mode(): VersionNegotiationMode {
    const wanted = this.config.protocolVersion ?? 'auto';
    return wanted === 'auto' || wanted === 'legacy' ? wanted : { pin: wanted };
  }

  /** A remembered verdict skips the probe: the discover result of a modern server, or legacy. */
  #prior(era: ProtocolEra | undefined): Pick<ConnectOptions, 'prior'> {
    if (era === 'legacy' && this.#probes()) return { prior: { kind: 'legacy' } };
    if (era === 'modern' && this.#discover) return { prior: { kind: 'modern', discover: this.#discover } };
    return {};
  }

  #capabilities(): ClientCapabilities {
    const roots = this.config.roots;
    if (!roots && !this.handlers.sampling) return ELICITATION_ONLY;
    return {
      // Always declared: without a handler every elicitation is declined at once, with an event.
      elicitation: ELICITATION,
      ...(this.handlers.sampling ? { sampling: {} } : {}),
      ...(roots ? { roots: { listChanged: false } } : {}),
    };
  }

  #lostError(): AzcoreError {
    const exit = this.#exit;
    const how = exit
      ? exit.signal
        ? `was killed by ${exit.signal}`
        : `exited with code ${exit.code}`
      : 'closed';
    const said = exit ? (this.#stderr?.text() ?? '') : '';
    return new ConnectionError(
      `The server connection ${how}.${said ? ` Its last stderr lines:\n${said}` : ''}`,
      {
        server: this.config.name,
        code: exit ? 'PROCESS_EXIT' : 'TRANSPORT_CLOSED',
        hint: 'Reconnecting with backoff; check the server log (stderr events) if it keeps happening.',
      },
    );
  }
}

/** Failures that mean the transport ended before the server replied (not a timeout, not a refusal). */
function endedBeforeReply(error: AzcoreError): boolean {
  return (
    error.kind === 'connection' &&
    ['CONNECTION_CLOSED', 'PROCESS_EXIT', 'TRANSPORT_CLOSED', 'NOT_CONNECTED', 'EPIPE'].includes(error.code)
  );
}

/**
 * A stdio server that exited before the connection was up: a broken command, bad arguments or a
 * missing dependency, almost always. The message carries the exit code (or signal) and its last
 * stderr lines; the code stays PROCESS_EXIT (retryable) so the restart budget still applies.
 */
function startupExitError(
  server: string,
  exit: ExitInfo,
  stderr: string,
  cause: AzcoreError,
): ConnectionError {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return new ConnectionError(
    `The server ${how} at start-up, before answering${stderr ? `; its last stderr lines:\n${stderr}` : ' (no stderr output)'}.`,
    {
      server,
      code: 'PROCESS_EXIT',
      cause,
      hint: "Fix the server's command, args or env (run it by hand to see it fail); reconnect attempts follow the restart budget and will fail the same way until then.",
    },
  );
}

function isClosed(e: unknown): boolean {
  const error = e as AzcoreError;
  return error.kind === 'connection' && (error.code === 'CONNECTION_CLOSED' || error.code === 'PROCESS_EXIT');
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
