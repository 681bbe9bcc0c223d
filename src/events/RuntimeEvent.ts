import type { ErrorKind } from '../errors/AzcoreError.js';

/** Fields every event carries: when it happened (epoch ms, from the actor's clock) and who said it. */
export interface EventBase {
  at: number;
  /** `server:<name>`, `breaker:<id>`, `team:<name>`, `pool:<name>`. */
  source: string;
}

/** The JSON-safe summary of an error that events carry (never the error object itself). */
export interface ErrorSummary {
  kind: ErrorKind;
  code: string;
  message: string;
  retryable: boolean;
}

export type ConnectionStateName =
  | 'idle'
  | 'connecting'
  | 'ready'
  | 'degraded'
  | 'reconnecting'
  | 'authorizing'
  | 'authFailed'
  | 'failed'
  | 'closing'
  | 'closed';

export type BreakerStateName = 'closed' | 'open' | 'halfOpen' | 'isolated';

export interface ConnectionStateChanged extends EventBase {
  type: 'connection.state';
  server: string;
  from: ConnectionStateName;
  to: ConnectionStateName;
  reason?: ErrorSummary | undefined;
}

export interface BreakerTransitioned extends EventBase {
  type: 'breaker.transition';
  breaker: string;
  from: BreakerStateName;
  to: BreakerStateName;
  /** Epoch ms of the next admitted probe, when the breaker is open. */
  retryAt?: number | undefined;
}

interface CallBase extends EventBase {
  server: string;
  tool: string;
  callId: number;
  attempt: number;
}

export interface CallStarted extends CallBase {
  type: 'call.started';
}
export interface CallSucceeded extends CallBase {
  type: 'call.succeeded';
  durationMs: number;
  /** True when the tool answered `isError: true` (a tool failure for the model, not a transport failure). */
  isError: boolean;
}
export interface CallFailed extends CallBase {
  type: 'call.failed';
  durationMs: number;
  error: ErrorSummary;
}
export interface CallRetried extends CallBase {
  type: 'call.retried';
  delayMs: number;
  error: ErrorSummary;
}
export interface CallRejected extends CallBase {
  type: 'call.rejected';
  error: ErrorSummary;
  retryAt?: number | undefined;
}

export interface ServerStderr extends EventBase {
  type: 'server.stderr';
  server: string;
  line: string;
}

export interface ServerPinged extends EventBase {
  type: 'server.ping';
  server: string;
  ok: boolean;
  durationMs: number;
  error?: ErrorSummary | undefined;
}

/** The server asked the client something (elicitation, sampling, roots) and how it was answered. */
export interface ServerRequested extends EventBase {
  type: 'server.request';
  server: string;
  method: 'elicitation/create' | 'sampling/createMessage' | 'roots/list';
  /** Elicitation mode. */
  mode?: 'form' | 'url' | undefined;
  outcome: 'accept' | 'decline' | 'cancel' | 'answered' | 'failed';
  /** True when no handler was configured and the default (decline) answered. */
  defaulted: boolean;
}

export interface ToolsChanged extends EventBase {
  type: 'tools.changed';
  server: string;
  tools: number;
}

/** The list operations of a server that report a {@link ListCompleted} event. */
export type ListOperation = 'tools/list' | 'resources/list' | 'resources/templates/list' | 'prompts/list';

/**
 * A list operation of a server ended: `ServerConnection.listTools` (`fromCache` when the tool cache
 * answered and nothing was sent), `listResources`, `listResourceTemplates`, `listPrompts`.
 */
export interface ListCompleted extends EventBase {
  type: 'list.completed';
  server: string;
  operation: ListOperation;
  durationMs: number;
  ok: boolean;
  /** Items listed, when it succeeded. */
  count?: number | undefined;
  fromCache: boolean;
  error?: ErrorSummary | undefined;
}

/** Fields of every model-call event: which model, which turn of the agent loop. */
interface ModelCallBase extends EventBase {
  /** `openai`, `offline`, or the LangChain `_llmType()` of another chat model. */
  provider: string;
  /** The model's name when it has one (`gpt-4o-mini`). */
  model: string | undefined;
  /** Model turn of the run: 1 for the first call, then one more per round of tool results. */
  turn: number;
  /** Pairs the started event with its outcome when runs overlap (unique in the process). */
  callId: number;
}

/** Tokens a model reported for one call (only when the provider reports usage). */
export interface ModelTokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface ModelCallStarted extends ModelCallBase {
  type: 'model.call.started';
  /** Tools offered on this call. */
  tools: number;
}
export interface ModelCallSucceeded extends ModelCallBase {
  type: 'model.call.succeeded';
  durationMs: number;
  /** Tool calls the model asked for (0: it answered). */
  toolCalls: number;
  usage?: ModelTokenUsage | undefined;
}
export interface ModelCallFailed extends ModelCallBase {
  type: 'model.call.failed';
  durationMs: number;
  /** Kind `model` (see `ModelError.reason`), or `cancelled` when the caller aborted. */
  error: ErrorSummary;
}

export interface TeamStateChanged extends EventBase {
  type: 'team.state';
  team: string;
  /** Flattened state: `building`, `ready`, `degraded`, `running`, `buildFailed`, `closing`, `closed`. */
  from: string;
  to: string;
}

/**
 * An optional server that was not up when `build()` resolved connected later and its tools were
 * listed: from now on they are offered (once per server, on its first successful connection).
 */
export interface TeamServerJoined extends EventBase {
  type: 'team.server.joined';
  team: string;
  server: string;
  /** Tools of the server offered from now on. */
  tools: number;
}

/**
 * Everything the runtime reports, as one discriminated union on `type`. Metrics, logs, health views
 * and the dashboard are all derived from this stream.
 *
 * @example
 * server.events$.pipe(ofType('call.failed')).subscribe((e) => console.log(e.server, e.error.kind));
 */
export type RuntimeEvent =
  | ConnectionStateChanged
  | BreakerTransitioned
  | CallStarted
  | CallSucceeded
  | CallFailed
  | CallRetried
  | CallRejected
  | ServerStderr
  | ServerPinged
  | ServerRequested
  | ToolsChanged
  | ListCompleted
  | TeamStateChanged
  | TeamServerJoined
  | ModelCallStarted
  | ModelCallSucceeded
  | ModelCallFailed
  | OperationCompleted
  | HealthChecked
  | AuthCredentialChanged
  | AuthLoginStep
  | PoolEvent;

export type RuntimeEventType = RuntimeEvent['type'];

/**
 * An operation measured by `MetricsCollector.recordExecution` (or reported with `record`): any unit of
 * work the application names, e.g. `task_execution`. Metrics and logs derive from these events.
 */
export interface OperationCompleted extends EventBase {
  type: 'operation.completed';
  operation: string;
  ok: boolean;
  durationMs: number;
  error?: ErrorSummary | undefined;
  /** Server and tool the operation concerns, when it concerns one (kept apart from the `server` of server events). */
  labels?: { server?: string | undefined; tool?: string | undefined } | undefined;
}

/** States of an OAuth credential (machines/credential.machine.ts). */
export type CredentialStateName = 'empty' | 'valid' | 'refreshing' | 'stale';

/**
 * An OAuth credential of a server changed state: `valid` -> `refreshing` -> `valid` is a refresh
 * (planned before expiry, or after a 401); `empty` with a reason means a login is needed. Never
 * carries a token, code, verifier or secret.
 */
export interface AuthCredentialChanged extends EventBase {
  type: 'auth.credential';
  server: string;
  from: CredentialStateName;
  to: CredentialStateName;
  /** When the access token expires (epoch ms), if the server said. */
  expiresAt?: number | undefined;
  reason?: ErrorSummary | undefined;
}

/** A step of an OAuth login (authorization code with PKCE); the URL itself goes to the app's handler only. */
export interface AuthLoginStep extends EventBase {
  type: 'auth.login';
  server: string;
  step: 'started' | 'awaitingUser' | 'exchanging' | 'authorized' | 'failed';
  error?: ErrorSummary | undefined;
}

/** Overall verdict of a health check. */
export type HealthStatusName = 'healthy' | 'degraded' | 'unhealthy';

/** One named check inside a health check: `fail` makes the whole check unhealthy, `warn` degraded. */
export interface HealthCheckResult {
  status: 'pass' | 'warn' | 'fail';
  /** What was seen, in words a person can act on. */
  detail: string;
  /** How many things were counted (tools, connected servers), when the check counts. */
  count?: number | undefined;
  durationMs?: number | undefined;
  error?: ErrorSummary | undefined;
}

/** A health check finished (the guide's `check_health`), from a `HealthChecker`. */
export interface HealthChecked extends EventBase {
  type: 'health.checked';
  /** Name of what was checked (the team's name). */
  target: string;
  status: HealthStatusName;
  /** The verdict before this check (`unknown` for the first). */
  previous: HealthStatusName | 'unknown';
  checks: Record<string, HealthCheckResult>;
  durationMs: number;
}

/** States of a `TeamPool` (machines/pool.machine.ts). */
export type PoolStateName = 'open' | 'closing' | 'closed';

/** Fields of every pool event; `source` is `pool:<name>`. */
interface PoolEventBase extends EventBase {
  pool: string;
}

/** A request got a member; `waitedMs` from `acquire()` to now. */
export interface PoolAcquired extends PoolEventBase {
  type: 'pool.acquired';
  requestId: string;
  member: string;
  waitedMs: number;
}

/** No member was free: the request waits at `position` (0 = next). */
export interface PoolQueued extends PoolEventBase {
  type: 'pool.queued';
  requestId: string;
  position: number;
}

/** A request ended without a member: timeout, abort, closed pool, or the build meant for it failed. */
export interface PoolAcquireFailed extends PoolEventBase {
  type: 'pool.acquireFailed';
  requestId: string;
  error: ErrorSummary;
}

/** A member came back; `healthy: false` means it is being replaced. */
export interface PoolReleased extends PoolEventBase {
  type: 'pool.released';
  member: string;
  heldMs: number;
  healthy: boolean;
}

/** A member found broken (at release, or about to be handed out) is cleaned up; a new one is built. */
export interface PoolReplaced extends PoolEventBase {
  type: 'pool.replaced';
  member: string;
  /** Words, not an error summary: `released broken`, `team is closed`, `failed its health check`... */
  reason: string;
}

/** The factory built a member. */
export interface PoolMemberBuilt extends PoolEventBase {
  type: 'pool.built';
  member: string;
  durationMs: number;
}

/** The factory failed. */
export interface PoolBuildFailed extends PoolEventBase {
  type: 'pool.buildFailed';
  member: string;
  error: ErrorSummary;
}

/** The pool moved between `open`, `closing` and `closed`. */
export interface PoolStateChanged extends PoolEventBase {
  type: 'pool.state';
  from: PoolStateName;
  to: PoolStateName;
}

/**
 * The {@link RuntimeEvent}s a `TeamPool` emits on its bus (every `pool.*` type).
 *
 * @example pool.events$.pipe(ofType('pool.acquired')).subscribe((e) => console.log(e.member, e.waitedMs));
 */
export type PoolEvent =
  | PoolAcquired
  | PoolQueued
  | PoolAcquireFailed
  | PoolReleased
  | PoolReplaced
  | PoolMemberBuilt
  | PoolBuildFailed
  | PoolStateChanged;
