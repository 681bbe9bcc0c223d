import { type Observable, Subject, type Subscription } from 'rxjs';
import { circuitBreakerMachineOf } from '../../machines/circuitBreaker.machine.js';
import { connectionMachineOf } from '../../machines/connection.machine.js';
import { Redactor, redactorOf } from '../errors/redact.js';
import { redactEvent } from '../events/EventBus.js';
import type { RuntimeEvent } from '../events/RuntimeEvent.js';
import { loginCommand, needsLogin } from '../observe/healthChecks.js';
import { MetricsCollector } from '../observe/metrics.js';
import { TOOL_CALL_OPERATION } from '../observe/metricsLedger.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import type { ServerStatus } from '../team/MCPTeam.js';
import { CallSeries } from './callSeries.js';
import { DashboardInspection, type InspectableActor } from './inspection.js';
import { toMermaidStateDiagram } from './stateDiagram.js';
import { offeredTools } from './toolCounts.js';
import type {
  CredentialView,
  DashboardDiagrams,
  DashboardMessage,
  DashboardSnapshot,
  HealthView,
  ServerStats,
  ServerView,
} from './types.js';

/** A listed tool, as the dashboard reads it (an MCP `Tool` is one). */
export interface DashboardTool {
  readonly name: string;
  readonly description?: string | undefined;
  readonly inputSchema?: unknown;
}

/**
 * What the dashboard reads from, and does to, one server; a `ServerConnection` is one. The optional
 * members enable the page's actions (reconnect, breaker reset and isolate, tool calls).
 */
export interface DashboardServerHandle {
  readonly cachedTools: readonly DashboardTool[] | undefined;
  /** Fills the tool cache (a ServerConnection's `listTools`). */
  listTools?(options?: { timeout?: number }): Promise<unknown>;
  reconnect?(): void;
  readonly state?: string;
  callTool?(
    name: string,
    args: Record<string, unknown>,
    options?: { timeout?: number | undefined; signal?: AbortSignal | undefined },
  ): Promise<unknown>;
  readonly breaker?: { readonly state: string; reset(): void; isolate(): void };
}

/** What the dashboard reads from a team; an `MCPTeam` is one. */
export interface DashboardTeam {
  readonly name: string;
  readonly state: string;
  readonly events$: Observable<RuntimeEvent>;
  getServerStates(): Record<string, ServerStatus>;
  /** Names of the MCP tools offered now (the health checker counts them). */
  getMcpToolNames(): string[];
  getServer(name: string): DashboardServerHandle | undefined;
  /** The team actor: the page's inspector follows its system (`team:<name>`, `server:<name>`, `breaker:<name>`). */
  readonly actor?: InspectableActor | undefined;
}

/** Where health verdicts come from: a `HealthChecker` is one. */
export interface DashboardHealthSource {
  /** Carries `health.checked` events (other events are ignored). */
  readonly events$: Observable<RuntimeEvent>;
  /** Asked for a fresh verdict when a server changes state. */
  checkHealth(): Promise<unknown>;
}

/** Options of {@link DashboardModel}. */
export interface DashboardModelOptions {
  /** Length of one chart sample. Default 1000 ms. */
  sampleIntervalMs?: number;
  /** Samples kept for the charts. Default 300 (five minutes at 1 s). */
  maxSamples?: number;
  /** Events kept for the log. Default 200. */
  maxEvents?: number;
  /** Health verdicts; without one the health panel stays `unknown`. */
  health?: DashboardHealthSource | undefined;
  /** Per-server totals on the cards. Default: a collector of the model's own over the team's events. */
  metrics?: MetricsCollector | undefined;
  /** Times the samples. Default: wall clock. */
  clock?: Clock;
  /**
   * Secrets to keep off the page (URL credentials are always masked). Default: the redactor attached
   * to the team, if any (see `attachRedactor`).
   */
  redactor?: Redactor | undefined;
}

let diagrams: DashboardDiagrams | undefined;

/** The statecharts of every card, drawn from the machine definitions (top-level states). */
export function dashboardDiagrams(): DashboardDiagrams {
  const compact = { depth: 1, guards: false, invokes: false, labels: false };
  diagrams ??= {
    // A card's connection state is `ready` or `degraded` inside `connected`: draw those two.
    connection: toMermaidStateDiagram(connectionMachineOf(), { ...compact, expand: ['connected.health'] }),
    breaker: toMermaidStateDiagram(circuitBreakerMachineOf(), compact),
  };
  return diagrams;
}

const SERVER_EVENTS = new Set<RuntimeEvent['type']>([
  'connection.state',
  'breaker.transition',
  'tools.changed',
  'call.failed',
  'auth.credential',
  'auth.login',
]);

/** Events after which a server that came online may still lack its tool list. */
const LISTING_EVENTS = new Set<RuntimeEvent['type']>([
  'connection.state',
  'breaker.transition',
  'tools.changed',
]);

/**
 * The dashboard's view of a team, derived from its event stream: one {@link ServerView} per server,
 * the recent events, call samples for the charts and the health verdict. `messages$` carries every
 * change as it happens; `snapshot()` is the whole picture for a page that just connected.
 *
 * @example
 * const model = new DashboardModel(team, { health: new HealthChecker(team).start() });
 * model.messages$.subscribe((m) => console.log(m.type));
 * console.log(model.snapshot().servers.map((s) => `${s.name}: ${s.state}`));
 * model.close();
 */
export class DashboardModel {
  readonly messages$: Observable<DashboardMessage>;
  readonly #team: DashboardTeam;
  readonly #messages = new Subject<DashboardMessage>();
  readonly #servers = new Map<string, ServerView>();
  readonly #events: RuntimeEvent[] = [];
  readonly #maxEvents: number;
  readonly #series: CallSeries;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #health: DashboardHealthSource | undefined;
  readonly #metrics: MetricsCollector;
  readonly #ownsMetrics: boolean;
  readonly #subscriptions: Subscription[] = [];
  readonly #redactor: Redactor;
  #stats: Record<string, ServerStats> = {};
  #healthView: HealthView = { status: 'unknown', at: undefined, checks: {} };
  #teamState: string;
  #timer: unknown;
  #closed = false;
  /** A health check is running; `#checkAgain`: something changed since it read the team. */
  #checking = false;
  #checkAgain = false;
  readonly #listing = new Set<string>();
  /** OAuth credentials per server, folded from `auth.credential` and `auth.login` events. */
  readonly #credentials = new Map<string, CredentialView>();
  readonly #inspection: DashboardInspection | undefined;

  constructor(team: DashboardTeam, options: DashboardModelOptions = {}) {
    this.#team = team;
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = options.sampleIntervalMs ?? 1000;
    this.#maxEvents = options.maxEvents ?? 200;
    this.#series = new CallSeries(this.#intervalMs, options.maxSamples ?? 300);
    this.#health = options.health;
    this.#redactor = options.redactor ?? redactorOf(team) ?? new Redactor();
    this.#teamState = team.state;
    this.#ownsMetrics = !options.metrics;
    this.#metrics = options.metrics ?? new MetricsCollector({ clock: this.#clock });
    if (this.#ownsMetrics) this.#subscriptions.push(this.#metrics.observe(team.events$));
    this.messages$ = this.#messages.asObservable();
    for (const name of Object.keys(team.getServerStates())) this.#refreshServer(name);
    this.#subscriptions.push(
      team.events$.subscribe({
        next: (e) => this.#onEvent(e),
        complete: () => this.#onTeamState(team.state),
      }),
    );
    if (this.#health) {
      this.#subscriptions.push(
        this.#health.events$.subscribe((e) => {
          if (e.type !== 'health.checked') return;
          // Checks repeat on every state change; the log shows only changes of verdict.
          const checked = redactEvent(e, this.#redactor);
          if (checked.status !== checked.previous) this.#log(checked);
          this.#healthView = { status: checked.status, at: checked.at, checks: checked.checks };
          this.#messages.next({ type: 'health', data: this.#healthView });
          // The check just read the team: the cards read it again, so both say the same.
          for (const name of this.#servers.keys()) this.#refreshServer(name);
        }),
      );
    }
    this.#stats = this.#computeStats();
    // A server online without its tool list yet (it came up during the build, its listing failed).
    for (const name of this.#servers.keys()) this.#awaitToolList(name);
    if (team.actor) {
      this.#inspection = new DashboardInspection(team.actor, `team:${team.name}`, {
        clock: this.#clock,
        redactor: this.#redactor,
      });
      this.#subscriptions.push(
        this.#inspection.messages$.subscribe((data) => this.#messages.next({ type: 'inspection', data })),
      );
    }
    this.#schedule();
  }

  /** Everything the page draws, now. */
  snapshot(): DashboardSnapshot {
    return {
      team: { name: this.#team.name, state: this.#teamState },
      servers: [...this.#servers.values()],
      events: [...this.#events],
      samples: this.#series.samples(),
      stats: this.#stats,
      health: this.#healthView,
      diagrams: dashboardDiagrams(),
      inspection: this.#inspection?.view(),
    };
  }

  /** The card of one server, now. */
  serverView(name: string): ServerView | undefined {
    return this.#servers.get(name);
  }

  /** What keeps secrets off the page; the dashboard's action answers go through it too. */
  get redactor(): Redactor {
    return this.#redactor;
  }

  /** Stops sampling and listening; completes `messages$`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    for (const s of this.#subscriptions) s.unsubscribe();
    this.#inspection?.close();
    if (this.#ownsMetrics) this.#metrics.close();
    this.#messages.complete();
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      this.#messages.next({ type: 'sample', data: this.#series.close(this.#clock.now()) });
      const stats = this.#computeStats();
      if (JSON.stringify(stats) !== JSON.stringify(this.#stats)) {
        this.#stats = stats;
        this.#messages.next({ type: 'stats', data: stats });
      }
      this.#schedule();
    }, this.#intervalMs);
  }

  #computeStats(): Record<string, ServerStats> {
    const report = this.#metrics.getMetrics({ operation: TOOL_CALL_OPERATION });
    const out: Record<string, ServerStats> = {};
    for (const name of this.#servers.keys()) {
      const total = this.#metrics.getMetrics({ operation: TOOL_CALL_OPERATION, server: name }).total;
      out[name] = {
        calls: total.count,
        failures: total.failures,
        rejected: total.rejected,
        retries: total.retries,
        successRate: total.count === 0 ? 1 : total.successRate,
        p95: total.durationMs.observed === 0 ? null : total.durationMs.p95,
        reconnects: report.servers[name]?.reconnects ?? 0,
        breakerOpenings: report.breakers[name]?.openings ?? 0,
      };
    }
    return out;
  }

  #onEvent(event: RuntimeEvent): void {
    // A bus has redacted its events already; a team's stream may come from elsewhere.
    const e = redactEvent(event, this.#redactor);
    this.#log(e);
    this.#series.add(e);
    if (e.type === 'team.state') this.#onTeamState(e.to);
    if (e.type === 'auth.credential' || e.type === 'auth.login') this.#onAuth(e);
    if (SERVER_EVENTS.has(e.type)) {
      const name = e.type === 'breaker.transition' ? e.breaker : 'server' in e ? e.server : undefined;
      if (name !== undefined) this.#refreshServer(name);
      if (name !== undefined && LISTING_EVENTS.has(e.type)) this.#awaitToolList(name);
    }
    if (e.type === 'connection.state' || e.type === 'breaker.transition' || e.type === 'tools.changed') {
      this.#checkHealth();
    }
  }

  /**
   * Asks for a fresh verdict. A checker ignores a request while it checks (the caller joins the
   * running check, which may have read the team before this change): ask once more after it.
   */
  #checkHealth(): void {
    const health = this.#health;
    if (!health || this.#closed) return;
    if (this.#checking) {
      this.#checkAgain = true;
      return;
    }
    this.#checking = true;
    health
      .checkHealth()
      .catch(() => undefined)
      .finally(() => {
        this.#checking = false;
        if (!this.#checkAgain) return;
        this.#checkAgain = false;
        this.#checkHealth();
      });
  }

  /**
   * A server that came online lists its tools after its state changed, and no event says when the
   * list is in: wait for it here, then redraw the card and check health again, so a card never
   * stays at "ready, 0 tools". (With a tool cache filled already this costs nothing.)
   */
  #awaitToolList(name: string): void {
    const server = this.#team.getServer(name);
    if (!server?.listTools || server.cachedTools || this.#listing.has(name)) return;
    const state = this.#team.getServerStates()[name];
    if (!state?.available) return;
    this.#listing.add(name);
    server
      .listTools({ timeout: 10_000 })
      .catch(() => undefined)
      .finally(() => {
        this.#listing.delete(name);
        if (this.#closed) return;
        this.#refreshServer(name);
        this.#checkHealth();
      });
  }

  /** Keeps the credential's state, expiry and login step: the events carry no token, and neither does the card. */
  #onAuth(e: Extract<RuntimeEvent, { type: 'auth.credential' | 'auth.login' }>): void {
    const before = this.#credentials.get(e.server);
    if (e.type === 'auth.login') {
      this.#credentials.set(e.server, { state: 'empty', at: e.at, ...before, login: e.step });
      return;
    }
    this.#credentials.set(e.server, {
      state: e.to,
      at: e.at,
      // A refresh keeps the old expiry until the new tokens say otherwise.
      ...(e.expiresAt !== undefined
        ? { expiresAt: e.expiresAt }
        : e.to === 'refreshing' && before?.expiresAt !== undefined
          ? { expiresAt: before.expiresAt }
          : {}),
      ...(before?.login ? { login: before.login } : {}),
      ...(e.reason && e.to !== 'valid' ? { reason: e.reason } : {}),
    });
  }

  #log(e: RuntimeEvent): void {
    this.#events.push(e);
    if (this.#events.length > this.#maxEvents) this.#events.shift();
    this.#messages.next({ type: 'event', data: e });
  }

  #onTeamState(state: string): void {
    if (state === this.#teamState) return;
    this.#teamState = state;
    this.#messages.next({ type: 'team', data: { name: this.#team.name, state } });
  }

  #refreshServer(name: string): void {
    const status = this.#team.getServerStates()[name];
    if (!status) return;
    const before = this.#servers.get(name);
    const listed = this.#team.getServer(name)?.cachedTools?.map((t) => t.name);
    const tools = listed ?? before?.tools ?? [];
    const view: ServerView = {
      name,
      state: status.state,
      breaker: status.breaker,
      available: status.available,
      optional: status.optional,
      tools,
      offered: offeredTools(name, tools, new Set(this.#team.getMcpToolNames())),
      // Pulled from the team, not from an event: redact it here.
      lastError: status.lastError && this.#redactor.redactDeep(status.lastError),
      needsLogin: needsLogin(status),
      ...(needsLogin(status) ? { loginCommand: loginCommand(name) } : {}),
      ...(this.#credentials.has(name) ? { credential: this.#credentials.get(name) } : {}),
    };
    if (before && JSON.stringify(before) === JSON.stringify(view)) return;
    this.#servers.set(name, view);
    if (before) this.#messages.next({ type: 'server', data: view });
  }
}
