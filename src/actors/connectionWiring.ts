import { connectionDefaults } from '../../machines/connection.machine.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_PING_TIMEOUT_MS } from '../config/defaults.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { summarizeError } from '../events/EventBus.js';
import type { ConnectionStateName, ErrorSummary } from '../events/RuntimeEvent.js';
import { type Backoff, decorrelatedJitter } from '../resilience/backoff.js';
import type { Clock } from '../resilience/Clock.js';
import type { ServerRequestOutcome } from './answerServerRequests.js';
import type { ConnectionLogicDeps } from './connectionLogic.js';
import { type CompactableSnapshot, compactSnapshot } from './connectionObservers.js';
import type { ConnectionParts } from './connectionParts.js';
import type { McpSession, SessionHooks } from './McpSession.js';
import type { ServerLogEntry } from './serverLogs.js';
import type { ToolList } from './toolList.js';
import { topState } from './waitForClient.js';

/**
 * Where the session and the connection machine meet the rest of one connection: the session's
 * hooks (process exit, stderr, server logs, list_changed, transport errors that call for a probe)
 * become machine events, log lines and runtime events; the machine's named actors and actions
 * (connect, keepalive ping, refreshTools, forgetToolList, the reconnect backoff) find their I/O
 * here. It is also the connection actor's observer (`next`, `error`). One object of methods: no
 * closure per hook and per dependency, no observer object of its own (heap per idle connection).
 */
export class ConnectionWiring implements SessionHooks, ConnectionLogicDeps {
  readonly #parts: ConnectionParts;
  readonly #tools: ToolList;
  /** Copied at construction: the caller's options object may change later. */
  readonly pingTimeoutMs: number;
  #backoff: Backoff | undefined;
  connectAttempt: AbortController | undefined = undefined;

  constructor(parts: ConnectionParts, tools: ToolList) {
    this.#parts = parts;
    this.#tools = tools;
    this.pingTimeoutMs = parts.options.connection?.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  }

  // Read from the parts (set once, never changed), not copied: a field each is 8 bytes per connection.
  get server(): string {
    return this.#parts.name;
  }

  get clock(): Clock {
    return this.#parts.clock;
  }

  get connectTimeoutMs(): number {
    return this.#parts.config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  get session(): McpSession {
    return this.#parts.session;
  }

  /** Reconnect delays: decorrelated jitter with the connection's RNG, built at the first reconnect. */
  backoff(attempt: number, previousMs: number): number {
    if (!this.#backoff) {
      const { connection = {}, random } = this.#parts.options;
      this.#backoff = decorrelatedJitter(
        {
          baseMs: connection.backoffBaseMs ?? connectionDefaults.backoffBaseMs,
          maxMs: connection.backoffMaxMs ?? connectionDefaults.backoffMaxMs,
        },
        random,
      );
    }
    return this.#backoff(attempt, previousMs);
  }

  onFailure(error: AzcoreError): void {
    this.#parts.lastFailure = error;
  }

  forgetToolList(): void {
    this.#tools.forget();
  }

  refreshTools(signal: AbortSignal): Promise<void> {
    return this.#tools.refresh(signal);
  }

  emitPing(ok: boolean, durationMs: number, error?: ErrorSummary): void {
    const parts = this.#parts;
    parts.emit({ type: 'server.ping', server: parts.name, ok, durationMs, ...(error ? { error } : {}) });
  }

  onLost(error: AzcoreError): void {
    const parts = this.#parts;
    parts.lastFailure = error;
    parts.actor.send({ type: 'TRANSPORT_CLOSED', at: parts.clock.now(), reason: summarizeError(error) });
  }

  onStderr(line: string): void {
    const parts = this.#parts;
    if (!parts.floodAdmits('stderr')) return;
    parts.log.debug({ stderr: line }, 'server stderr');
    parts.emit({ type: 'server.stderr', server: parts.name, line });
  }

  onServerLog(entry: ServerLogEntry): void {
    const parts = this.#parts;
    if (parts.floodAdmits('server log')) parts.log.debug({ serverLog: entry }, 'server log');
  }

  onToolsChanged(): void {
    this.#parts.actor.send({ type: 'TOOLS_CHANGED' });
  }

  onTransportError(error: AzcoreError): void {
    const parts = this.#parts;
    if (parts.floodAdmits('transport error')) parts.log.warn({ err: error.toJSON() }, 'transport error');
    // The event stream learnt first that the session is gone: re-initialize now, so the calls
    // in flight on the dead session end (and may be repeated) instead of running out their time.
    if (error.code === 'SESSION_EXPIRED' && parts.isUsable()) {
      parts.actor.send({ type: 'SESSION_EXPIRED', at: parts.clock.now(), reason: summarizeError(error) });
    } else if (error.kind === 'connection' && !error.code.startsWith('HTTP_') && parts.isUsable()) {
      // A dropped event stream or a refused reconnect of it is the first sign of a dead server:
      // ping now (one probe at a time), so a failure shows in seconds, not at the next period.
      parts.actor.send({ type: 'PROBE' });
    }
  }

  onServerRequest(request: ServerRequestOutcome): void {
    const parts = this.#parts;
    parts.emit({ type: 'server.request', server: parts.name, ...request });
  }

  /** The actor's observer: each snapshot's top-level state goes to {@link onState}. */
  next(snapshot: CompactableSnapshot): void {
    compactSnapshot(snapshot);
    this.onState(topState(snapshot.value));
  }

  /** The actor's observer: an actor crash goes to the log. */
  error(e: unknown): void {
    this.#parts.log.error({ err: String(e) }, 'connection actor crashed');
  }

  /** A new top-level state: remembered, told to OAuth, logged and emitted (`connection.state`). */
  onState(to: ConnectionStateName): void {
    const parts = this.#parts;
    const from = parts.state;
    if (to === from) return;
    parts.state = to;
    parts.auth?.onConnectionState(to);
    const failing = to === 'reconnecting' || to === 'failed' || to === 'authFailed' || to === 'degraded';
    const reason = failing ? parts.actor.getSnapshot().context.lastError : undefined;
    // A silent logger gets no child logger made for it (about 0.3 KiB per connection).
    if (parts.logs('info')) {
      parts.log.info(
        { operation: 'connection', from, to, ...(reason ? { error_kind: reason.kind } : {}) },
        `${from} -> ${to}`,
      );
    }
    parts.emit({
      type: 'connection.state',
      server: parts.name,
      from,
      to,
      reason: reason as ErrorSummary | undefined,
    });
  }
}
