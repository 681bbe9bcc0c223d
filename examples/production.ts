/**
 * The guide's "Complete Production Setup", working: the ProductionMCPTeam preset over a required
 * server (the project's fixture server, with tools that crash and hang) and an optional one that is
 * down. Each task prints its Outcome (the one result of team.run): success, degraded (a server was
 * missing or died, or the cache/fallback answered) or failed, with the reasons and each attempt.
 *
 *   npx tsx examples/production.ts
 */
import { filter, firstValueFrom } from 'rxjs';
// In an app: import { ProductionMCPTeam } from 'azcore/patterns'; import type { Outcome } from 'azcore';
// import { RuleBasedChatModel } from 'azcore/testing'. The example imports the source modules it needs.
import { RuleBasedChatModel } from '../src/llm/RuleBasedChatModel.js';
import { createLogger } from '../src/observe/logger.js';
import type { Outcome } from '../src/policy/Outcome.js';
import { ProductionMCPTeam } from '../src/production/ProductionMCPTeam.js';
import type { TeamAnswer } from '../src/team/teamRun.js';
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

function show(label: string, o: Outcome<TeamAnswer>): void {
  const tried = o.attempts.map((a) => `${a.source}${a.ok ? '' : ` ${a.error?.kind}`}`).join(' -> ');
  console.log(`\n${label}`);
  console.log(
    `  status: ${o.status}  (source ${o.source ?? 'none'}; tried ${tried}; task breaker ${prod.breaker.state})`,
  );
  if (o.status !== 'failed') console.log(`  answer: ${o.value.answer.replace(/\s+/g, ' ').slice(0, 110)}`);
  if (o.error) console.log(`  error: ${o.error.kind}: ${o.error.message.split('\n')[0]?.slice(0, 110)}`);
  for (const reason of o.reasons ?? []) console.log(`  why: ${reason.slice(0, 120)}`);
}

show(
  '1. a task the team can do, while the optional search server is down',
  await prod.execute('Greet.\nuse: files__echo {"text":"hello from production"}'),
);

show('2. the server dies under a tool call', await prod.execute('Crash it.\nuse: files__crash {}'));
const files = prod.team.getServer('files')!;
await firstValueFrom(files.state$.pipe(filter((s) => s === 'ready')));
console.log('  (files reconnected)');

const report = 'Report.\nuse: files__slow {"ms":200}';
show('3a. a slow task answers and is cached', await prod.execute(report));
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
