import type { MCPTeam } from '../../src/index.js';
import type { HealthReport, MetricsCollector } from '../../src/observe/index.js';

/**
 * What the demo prints at the end: server status from the team, per-server call metrics from the
 * MetricsCollector (derived from the event stream, no counters kept here) and the HealthChecker's verdict.
 */
export function summarizeRun(team: MCPTeam, metrics: MetricsCollector, health: HealthReport) {
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
  const report = metrics.getMetrics();
  const perServer = Object.fromEntries(
    Object.keys(servers).map((server) => {
      const { total } = metrics.getMetrics({ server });
      return [
        server,
        {
          calls: total.count,
          ok: total.successes,
          failed: total.failures,
          reconnects: report.servers[server]?.reconnects ?? 0,
          p50ms: Math.round(total.durationMs.p50),
          p95ms: Math.round(total.durationMs.p95),
        },
      ];
    }),
  );
  const failing = Object.entries(health.checks)
    .filter(([, c]) => c.status !== 'pass')
    .map(([name, c]) => `${name}: ${c.detail}`);
  return {
    servers,
    metrics: perServer,
    health: { status: health.status, detail: failing.join('; ') || 'all checks pass' },
  };
}
