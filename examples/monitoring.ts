/**
 * Monitoring a team (the guide's "Monitoring and Logging"): metrics derived from the event stream,
 * Prometheus text, a health check with per-check detail, and structured logs around an operation.
 * The team has a flaky tool (every 3rd call fails) and an optional server that is down.
 *
 *   npx tsx examples/monitoring.ts
 */
import { HumanMessage } from '@langchain/core/messages';
// In an app: import { MCPTeamBuilder, createLogger } from 'azcore';
// import { HealthChecker, MetricsCollector, withErrorContext } from 'azcore/observe'. The example
// imports the source modules it needs.
import { RuleBasedChatModel } from '../src/llm/RuleBasedChatModel.js';
import { withErrorContext } from '../src/observe/errorContext.js';
import { HealthChecker } from '../src/observe/HealthChecker.js';
import { createLogger } from '../src/observe/logger.js';
import { MetricsCollector } from '../src/observe/metrics.js';
import { MCPTeamBuilder } from '../src/team/MCPTeamBuilder.js';
import { stdioFixture } from '../test/fixtures/index.js';

const fixture = stdioFixture();
const team = await new MCPTeamBuilder('monitored')
  .withLlm(new RuleBasedChatModel())
  .withLogger(createLogger({ level: 'silent' }))
  .withMcpServer(fixture.command, fixture.args, { name: 'tools' })
  .withMcpServerHttp('http://127.0.0.1:9/mcp', { name: 'search', optional: true, connectTimeout: 2 })
  .skipFailedServers(true)
  .build();

const metrics = new MetricsCollector();
metrics.observe(team.events$);
const health = new HealthChecker(team, {
  intervalMs: 0,
  probe: (signal) => team.getServer('tools')!.callTool('echo', { text: 'health' }, { signal }),
});
metrics.observe(health.events$);

console.log('running 6 tasks; the flaky tool fails every 3rd call');
for (let i = 1; i <= 6; i++) {
  const task = `Task ${i}.\nuse: tools__flaky {"every":3}\nuse: tools__echo {"text":"task ${i}"}`;
  await metrics.recordExecution('team_execution', () => team.invoke({ messages: [new HumanMessage(task)] }));
}

// The guide's error_handler: one structured line when the operation starts and one when it ends.
const stdoutLogger = createLogger({ level: 'info', destination: process.stdout });
await withErrorContext(
  stdoutLogger,
  'team_execution',
  () => team.invoke({ messages: [new HumanMessage('use: tools__add {"a":2,"b":3}')] }),
  { team: team.name },
);

const report = metrics.getMetrics();
console.log('\nmetrics (derived from events):');
for (const s of report.series) {
  const name = [s.operation, s.server, s.tool].filter(Boolean).join(' ');
  const errors = Object.entries(s.errors)
    .map(([kind, n]) => `${kind}=${n}`)
    .join(' ');
  console.log(
    `  ${name.padEnd(28)} count=${s.count} success=${(s.successRate * 100).toFixed(0)}% p50=${s.durationMs.p50.toFixed(0)}ms p95=${s.durationMs.p95.toFixed(0)}ms ${errors}`,
  );
}
const flaky = metrics.getMetrics({ tool: 'flaky' }).total;
console.log(
  `  flaky tool: ${flaky.failures} of ${flaky.count} calls failed (${flaky.errors.tool ?? 0} tool errors)`,
);

const checked = await health.checkHealth();
console.log(`\nhealth: ${checked.status}`);
for (const [name, check] of Object.entries(checked.checks))
  console.log(`  ${name}: ${check.status} - ${check.detail}`);

console.log('\nPrometheus text (excerpt):');
const text = metrics.toPrometheus();
const keep =
  /^(# (HELP|TYPE) azcore_operations_total|azcore_operations_total\{operation="tool_call",server="tools",tool="flaky"|azcore_operation_duration_seconds\{operation="team_execution"|azcore_health_status)/;
for (const line of text.split('\n')) if (keep.test(line)) console.log(`  ${line}`);
console.log(`  ... ${text.split('\n').length - 1} lines in all`);

health.stop();
metrics.close();
await team.cleanup();
