import { classifyError } from '../errors/classifyError.js';
import { summarizeError } from '../events/EventBus.js';
import type { ConnectionStateName, ErrorSummary, HealthCheckResult } from '../events/RuntimeEvent.js';
import type { Clock } from '../resilience/Clock.js';
import { Deadline } from '../resilience/Deadline.js';
import { untilAborted } from '../resilience/untilAborted.js';

/**
 * What a health check reads of one server; a team's `ServerStatus` is one. Declared here, not
 * imported from team/, so observe/ does not depend on the team that depends on it.
 */
export interface ServerHealth {
  state: ConnectionStateName;
  /** The breaker's state name. */
  breaker: string;
  available: boolean;
  optional: boolean;
  lastError: ErrorSummary | undefined;
}

/** What a {@link HealthChecker} looks at; an `MCPTeam` is one. */
export interface HealthTarget {
  readonly name: string;
  getMcpToolNames(): string[];
  getServerStates(): Record<string, ServerHealth>;
}

/** A cheap real operation proving the system works end to end (e.g. one tool call). Honour `signal`. */
export type HealthProbe = (signal: AbortSignal) => Promise<unknown>;

/** A check of your own: resolve with a result, or throw (a thrown error is a `fail`). */
export type CustomHealthCheck = (
  signal: AbortSignal,
) => Promise<Omit<HealthCheckResult, 'durationMs'>> | Omit<HealthCheckResult, 'durationMs'>;

/** `tools`: the MCP tools offered now; fewer than `minTools` fails. */
export function toolsCheck(target: HealthTarget, minTools: number): HealthCheckResult {
  const count = target.getMcpToolNames().length;
  if (count >= minTools) return { status: 'pass', detail: `${count} MCP tools offered`, count };
  return {
    status: 'fail',
    detail: `${count} MCP tools offered, fewer than the ${minTools} required: the servers that provide them are unavailable.`,
    count,
  };
}

/** A server waiting in `authorizing`: only a person can bring it back (an OAuth login). */
export function needsLogin(s: ServerHealth): boolean {
  return s.state === 'authorizing';
}

/** What a person runs to log in to `name`. */
export const loginCommand = (name: string): string => `azcore auth login ${name}`;

function describe(name: string, s: ServerHealth): string {
  if (needsLogin(s)) {
    // The connection's own error says why (no token, a refused refresh, a wider scope asked for).
    const why = s.lastError ? ` (${s.lastError.message.replace(/\.+$/, '')})` : '';
    return `${name} needs an OAuth login: run \`${loginCommand(name)}\`${why}`;
  }
  const error = s.lastError ? `, last error ${s.lastError.kind}/${s.lastError.code}` : '';
  return `${name} (${s.state}, breaker ${s.breaker}${error})`;
}

/** What brings the `down` servers back: a login for those in `authorizing`, a reconnect for the rest. */
function remedy(down: [string, ServerHealth][]): string {
  const logins = down.filter(([, s]) => needsLogin(s)).map(([name]) => name);
  const others = down.length - logins.length;
  const parts: string[] = [];
  if (logins.length > 0) {
    parts.push(
      `${logins.join(', ')} ${logins.length === 1 ? 'needs' : 'need'} a person to log in (${logins
        .map((name) => `\`${loginCommand(name)}\``)
        .join(', ')}); their tools are offered once the login succeeds.`,
    );
  }
  if (others > 0) parts.push('Their tools are not offered until they reconnect; check the server logs.');
  return parts.join(' ');
}

/**
 * `servers`: every server connected with its breaker admitting calls passes; an unavailable optional
 * server warns (degraded); an unavailable required server fails (unhealthy). A server waiting for an
 * OAuth login (`authorizing`) is unavailable like any other, and the detail says "needs an OAuth
 * login" with the command to run.
 */
export function serversCheck(target: HealthTarget): HealthCheckResult {
  const states = Object.entries(target.getServerStates());
  const connected = states.filter(([, s]) => s.state === 'ready' || s.state === 'degraded').length;
  const down = states.filter(([, s]) => !s.available);
  const required = down.filter(([, s]) => !s.optional);
  const summary = `${connected}/${states.length} servers connected`;
  if (down.length === 0) return { status: 'pass', detail: summary, count: connected };
  const list = (items: typeof down) => items.map(([name, s]) => describe(name, s)).join('; ');
  if (required.length > 0) {
    return {
      status: 'fail',
      detail: `${summary}; required servers unavailable: ${list(required)}. ${remedy(required)}`,
      count: connected,
    };
  }
  const login = down.some(([, s]) => needsLogin(s)) ? ` ${remedy(down)}` : '';
  return {
    status: 'warn',
    detail: `${summary}; optional servers unavailable: ${list(down)}. The team works without their tools.${login}`,
    count: connected,
  };
}

/**
 * Runs `check` under a budget on `clock`. A check that throws or runs out of time fails with the
 * typed error's summary; a probe slower than `slowMs` warns.
 */
export async function timedCheck(
  name: string,
  check: (signal: AbortSignal) => Promise<Omit<HealthCheckResult, 'durationMs'>>,
  options: { clock: Clock; timeoutMs: number; slowMs?: number | undefined },
): Promise<HealthCheckResult> {
  const { clock } = options;
  const deadline = Deadline.after(options.timeoutMs, { clock, step: `health check "${name}"` });
  const started = clock.now();
  try {
    const result = await untilAborted(check(deadline.signal), deadline.signal);
    const durationMs = clock.now() - started;
    if (result.status === 'pass' && options.slowMs !== undefined && durationMs > options.slowMs) {
      return {
        ...result,
        status: 'warn',
        detail: `${result.detail}; slow: ${durationMs} ms > ${options.slowMs} ms`,
        durationMs,
      };
    }
    return { ...result, durationMs };
  } catch (e) {
    const error = classifyError(e, { signal: deadline.signal });
    return {
      status: 'fail',
      detail: error.message,
      durationMs: clock.now() - started,
      error: summarizeError(error),
    };
  } finally {
    deadline.dispose();
  }
}

/** Wraps a {@link HealthProbe} as a check: it passes when the probe resolves. */
export function probeAsCheck(probe: HealthProbe): (signal: AbortSignal) => Promise<HealthCheckResult> {
  return async (signal) => {
    await probe(signal);
    return { status: 'pass', detail: 'probe succeeded' };
  };
}
