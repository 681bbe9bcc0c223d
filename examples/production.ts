/**
 * The guide's "Complete Production Setup", working: ProductionMCPTeam over a required server (the
 * project's fixture server, with tools that crash and hang) and an optional one that is down.
 * Each task shows a status: success, degraded (a server died, or the cache/fallback answered) or
 * failed, and why.
 *
 *   npx tsx examples/production.ts
 */
import { filter, firstValueFrom } from 'rxjs';
// In an app: import { ProductionMCPTeam, type ExecutionResult } from 'azcore/patterns';
// import { RuleBasedChatModel } from 'azcore/testing'. The example imports the source modules it needs.
import { RuleBasedChatModel } from '../src/llm/RuleBasedChatModel.js';
import { createLogger } from '../src/observe/logger.js';
import { ProductionMCPTeam } from '../src/production/ProductionMCPTeam.js';
import type { ExecutionResult } from '../src/production/taskOutcome.js';
import { stdioFixture } from '../test/fixtures/index.js';

const fixture = stdioFixture();
const prod = await ProductionMCPTeam.create({
  name: 'production_team',
  llm: new RuleBasedChatModel(),
  servers: {
    mcpServers: {
      files: { command: fixture.command, args: fixture.args },
      search: { url: 'http://127.0.0.1:9/mcp', optional: true, connectTimeoutMs: 2_000 },
    },
  },
  maxRetries: 1,
  timeouts: { taskMs: 10_000 },
  health: { intervalMs: 0 },
  cache: true,
  fallback: (task, error) => {
    if (task.startsWith('Critical')) throw new Error('no fallback for critical work');
    return `We could not finish "${task.split('\n')[0]}" (${error.kind}); it has been queued.`;
  },
  logger: createLogger({ level: 'silent' }),
});
console.log(`team ${prod.name} is ${prod.team.state}: ${prod.team.getMcpToolNames().length} tools`);

function show(label: string, r: ExecutionResult): void {
  const m = r.metadata;
  console.log(`\n${label}`);
  console.log(
    `  status: ${r.status}  (source ${m.source}, attempts ${m.attempts}, circuit ${m.circuitState})`,
  );
  if (r.result) console.log(`  result: ${r.result.replace(/\s+/g, ' ').slice(0, 110)}`);
  if (r.errorType) console.log(`  error: ${r.errorType}: ${r.error?.slice(0, 110)}`);
  if (m.toolsUsed.length) console.log(`  tools used: ${m.toolsUsed.join(', ')}`);
  for (const reason of m.reasons) console.log(`  why: ${reason}`);
}

show(
  '1. a task the team can do',
  await prod.execute('Greet.\nuse: files__echo {"text":"hello from production"}'),
);

show('2. the server dies under a tool call', await prod.execute('Crash it.\nuse: files__crash {}'));
const files = prod.team.getServer('files')!;
await firstValueFrom(files.state$.pipe(filter((s) => s === 'ready')));
console.log('  (files reconnected)');

const report = 'Report.\nuse: files__slow {"ms":200}';
show('3a. a slow task succeeds and is cached', await prod.execute(report));
show(
  '3b. the same task runs out of time: served from the cache',
  await prod.execute(report, { timeoutMs: 50, maxRetries: 0 }),
);

const noWait = () => 0;
show(
  '4. a hanging tool, retried, then the fallback answers',
  await prod.execute('Hang.\nuse: files__hang {}', { timeoutMs: 150, backoff: noWait }),
);
show(
  '5. no fallback for critical work: failed',
  await prod.execute('Critical hang.\nuse: files__hang {}', { timeoutMs: 150, backoff: noWait }),
);

const status = await prod.getStatus();
const tasks = status.metrics.series.find((s) => s.operation === 'task_execution');
console.log('\nstatus:');
console.log(`  health: ${status.health?.status}; ${status.health?.checks.servers?.detail.split(';')[0]}`);
console.log(`  task breaker: ${status.circuitBreaker}; server breakers: ${JSON.stringify(status.breakers)}`);
console.log(
  `  tasks: ${tasks?.count} run, ${tasks?.successes} ok, ${tasks?.failures} failed, errors ${JSON.stringify(tasks?.errors)}`,
);
console.log(`  files reconnects: ${status.metrics.servers.files?.reconnects}`);
await prod.close();
console.log('closed');
