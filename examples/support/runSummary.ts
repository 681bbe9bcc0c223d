import type { MCPTeam, RuntimeEvent } from '../../src/index.js';

/** Percentile of sorted numbers (nearest rank). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * What the demo prints at the end: server status, per-server call metrics derived from the event
 * stream (no counters kept by hand), and a health verdict.
 */
export function summarizeRun(team: MCPTeam, events: readonly RuntimeEvent[]) {
  const servers = Object.fromEntries(
    Object.entries(team.getServerStates()).map(([name, s]) => [
      name,
      {
        state: s.state,
        breaker: s.breaker,
        tools: s.tools,
        optional: s.optional,
        lastError: s.lastError ? `${s.lastError.kind}/${s.lastError.code}` : '',
      },
    ]),
  );
  const metrics: Record<
    string,
    { calls: number; ok: number; failed: number; reconnects: number; p50ms: number; p95ms: number }
  > = {};
  const durations: Record<string, number[]> = {};
  for (const e of events) {
    if (!('server' in e)) continue;
    const m = (metrics[e.server] ??= { calls: 0, ok: 0, failed: 0, reconnects: 0, p50ms: 0, p95ms: 0 });
    if (e.type === 'call.succeeded' || e.type === 'call.failed') {
      m.calls++;
      if (e.type === 'call.succeeded' && !e.isError) m.ok++;
      else m.failed++;
      (durations[e.server] ??= []).push(e.durationMs);
    }
    if (e.type === 'connection.state' && e.to === 'reconnecting') m.reconnects++;
  }
  for (const [server, list] of Object.entries(durations)) {
    const sorted = [...list].sort((a, b) => a - b);
    const m = metrics[server]!;
    m.p50ms = Math.round(percentile(sorted, 50));
    m.p95ms = Math.round(percentile(sorted, 95));
  }
  const states = Object.values(team.getServerStates());
  const required = states.filter((s) => !s.optional);
  const status = required.some((s) => !s.available)
    ? 'unhealthy'
    : states.some((s) => !s.available)
      ? 'degraded'
      : 'healthy';
  const available = states.filter((s) => s.available).length;
  return {
    servers,
    metrics,
    health: { status, detail: `${available}/${states.length} servers available, team ${team.state}` },
  };
}
