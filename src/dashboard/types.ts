import type { ErrorKind } from '../errors/AzcoreError.js';
import type {
  AuthLoginStep,
  BreakerStateName,
  ConnectionStateName,
  CredentialStateName,
  ErrorSummary,
  HealthCheckResult,
  HealthStatusName,
  RuntimeEvent,
} from '../events/RuntimeEvent.js';

/** One server card of the dashboard. */
export interface ServerView {
  name: string;
  /** Top-level connection state (`ready`, `reconnecting`, ...). */
  state: ConnectionStateName;
  /** Breaker state (`closed`, `open`, `halfOpen`, `isolated`). */
  breaker: string;
  available: boolean;
  optional: boolean;
  /** Tool names as the server lists them (the last known list while it is away). */
  tools: string[];
  /**
   * The tools of `tools` the team offers now: read where the health check counts them
   * (`getMcpToolNames()`), so the cards add up to the health panel's tool count.
   */
  offered: string[];
  lastError: ErrorSummary | undefined;
  /**
   * The server waits for a person to log in (connection state `authorizing`): the card says
   * "needs login" and shows {@link loginCommand}.
   */
  needsLogin: boolean;
  /** What a person runs to log in (`azcore auth login <server>`), when {@link needsLogin}. */
  loginCommand?: string | undefined;
  /** The server's OAuth credential as its `auth.*` events describe it; absent for a server without OAuth events. */
  credential?: CredentialView | undefined;
}

/** An OAuth credential on a card: its state and expiry, never a token. */
export interface CredentialView {
  /** `empty` (no usable token), `valid`, `refreshing`, `stale` (a refresh failed for a transient reason). */
  state: CredentialStateName;
  /** When the access token expires (epoch ms), if the server said. */
  expiresAt?: number | undefined;
  /** When the state last changed (epoch ms). */
  at: number;
  /** The latest step of a login (`awaitingUser` while a person is expected), if one ran. */
  login?: AuthLoginStep['step'] | undefined;
  /** Why the credential is unusable (a refused refresh, no token), when it is. */
  reason?: ErrorSummary | undefined;
}

/** Calls that ended within one sampling interval. */
export interface CallSample {
  /** End of the interval (epoch ms). */
  at: number;
  intervalMs: number;
  /** Calls that ended: succeeded, failed or rejected by a breaker. */
  calls: number;
  /** Failed, rejected, or answered with `isError: true`. */
  errors: number;
  /** Calls per second over the interval. */
  callRate: number;
  /** errors / calls, 0 when there were no calls. */
  errorRate: number;
  /** Latency percentiles (ms) of the calls that reached a server; null when none did. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Tool-call totals of one server since the dashboard started, from a `MetricsCollector`. */
export interface ServerStats {
  calls: number;
  failures: number;
  /** Calls an open breaker refused without sending (counted in `failures` too). */
  rejected: number;
  retries: number;
  /** successes / calls; 1 when there were no calls. */
  successRate: number;
  /** p95 latency (ms) of recent calls; null before the first. */
  p95: number | null;
  reconnects: number;
  breakerOpenings: number;
}

/** The health panel: the latest verdict of a health check, or `unknown` before the first. */
export interface HealthView {
  status: HealthStatusName | 'unknown';
  /** When the check finished (epoch ms). */
  at: number | undefined;
  checks: Record<string, HealthCheckResult>;
}

/** Mermaid text of the statecharts drawn on each card (top-level states only). */
export interface DashboardDiagrams {
  connection: string;
  breaker: string;
}

/** Which statechart an inspected actor runs. */
export type MachineKind = 'team' | 'connection' | 'breaker';

/** An actor of the team's system, by system id (`team:ops`, `server:files`, `breaker:files`). */
export interface InspectedActor {
  id: string;
  machine: MachineKind;
  /** Its full state value (`{ connected: { health: 'ready', keepalive: 'idle' } }`), null before its first snapshot. */
  value: unknown;
}

/** One event an actor received, as the inspection stream saw it. */
export interface InspectedEvent {
  /** When the dashboard saw it (epoch ms). */
  at: number;
  type: string;
  /** System id of the sender, when an actor sent it. */
  from?: string;
  /** Its other fields as JSON, redacted and cut short. */
  detail?: string;
}

/** The inspection panel: actors, their recent events, and the full statecharts to draw them on. */
export interface InspectionView {
  actors: InspectedActor[];
  /** Per actor id, oldest first. */
  events: Record<string, InspectedEvent[]>;
  /** Mermaid text of each machine, every level (as in docs/diagrams). */
  diagrams: Record<MachineKind, string>;
}

/** A change seen on the inspection stream: a new state value, or an event an actor received. */
export interface InspectionMessage {
  actor: string;
  machine: MachineKind;
  value?: unknown;
  event?: InspectedEvent;
}

/** Everything the page needs to draw itself; sent first on every live connection. */
export interface DashboardSnapshot {
  team: { name: string; state: string };
  servers: ServerView[];
  /** The most recent events, oldest first. */
  events: RuntimeEvent[];
  samples: CallSample[];
  /** Per server name. */
  stats: Record<string, ServerStats>;
  health: HealthView;
  diagrams: DashboardDiagrams;
  /** The team's actors as the XState inspection stream shows them; absent for a team without an actor. */
  inspection?: InspectionView | undefined;
}

/** One live update, sent to the page as a server-sent event named after `type`. */
export type DashboardMessage =
  | { type: 'snapshot'; data: DashboardSnapshot }
  | { type: 'event'; data: RuntimeEvent }
  | { type: 'server'; data: ServerView }
  | { type: 'sample'; data: CallSample }
  | { type: 'stats'; data: Record<string, ServerStats> }
  | { type: 'health'; data: HealthView }
  | { type: 'team'; data: { name: string; state: string } }
  | { type: 'inspection'; data: InspectionMessage };

/** What an operator can do from the page (each a POST carrying the page's session token). */
export type DashboardActionName = 'reconnect' | 'breaker.reset' | 'breaker.isolate' | 'tool.call';

/** The answer to an action that ran; its effect shows in the runtime's own events. */
export type DashboardActionResult =
  | { ok: true; action: 'reconnect'; server: string; state: ConnectionStateName }
  | { ok: true; action: 'breaker.reset' | 'breaker.isolate'; breaker: string; state: BreakerStateName }
  | {
      ok: true;
      action: 'tool.call';
      server: string;
      tool: string;
      /** The MCP result, `isError: true` included (a tool failure is a result, not a transport failure). */
      result: { content?: unknown[]; structuredContent?: unknown; isError?: boolean };
    };

/**
 * The answer to an action that was refused (`kind: 'request'`: no or wrong token, unknown server,
 * bad arguments...) or failed in the runtime (an azcore error kind: circuitOpen, timeout, ...).
 */
export interface DashboardActionError {
  ok: false;
  action: DashboardActionName | 'request';
  /** The HTTP status it was sent with. */
  status: number;
  error: { kind: ErrorKind | 'request'; code: string; message: string; retryable: boolean };
}

/** A tool as the page's "try a tool" form needs it (`GET /api/servers/<name>/tools`). */
export interface DashboardToolInfo {
  name: string;
  description: string | undefined;
  inputSchema: unknown;
  /** Offered to the model now (see `ServerView.offered`). */
  offered: boolean;
}
