/**
 * The four fallback patterns of the guide, offline:
 *   1. static   a fixed answer when a call fails
 *   2. dynamic  a primary team whose MCP server crashes mid-task, and a fallback team
 *   3. cached   answers cached in SQLite (temp dir), served while the service is down, even
 *               after a restart
 *   4. chain    ordered options, each attempt reported; a typed error listing all when all fail
 *
 *   npx tsx examples/fallbacks.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// In an app: import { MCPTeamBuilder, withStaticFallback, type FallbackResult } from 'azcore';
// import { CachedFallback, DynamicFallback, FallbackChain, teamExecutor } from 'azcore/patterns';
// import { ScriptedChatModel } from 'azcore/testing'. The example imports the modules it needs.
import {
  CachedFallback,
  DynamicFallback,
  type Executor,
  FallbackChain,
  type FallbackResult,
  teamExecutor,
  withStaticFallback,
} from '../src/fallback/index.js';
import { ScriptedChatModel, type ScriptTurn } from '../src/llm/ScriptedChatModel.js';
import { createLogger } from '../src/observe/logger.js';
import { MCPTeamBuilder } from '../src/team/MCPTeamBuilder.js';
import { stdioFixture } from '../test/fixtures/index.js';

const dir = mkdtempSync(join(tmpdir(), 'azcore-fallbacks-'));
const logger = createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'silent' });
const teams: { cleanup(): Promise<void> }[] = [];

/** Nothing listens on port 9 here: a real ECONNREFUSED, offline. */
async function callDeadApi(task: string): Promise<string> {
  const response = await fetch('http://127.0.0.1:9/api', { method: 'POST', body: task });
  return response.text();
}

function show<T>(label: string, result: FallbackResult<T>, render: (value: T) => string): void {
  const tried = result.attempts.map(
    (a) => `${a.source} ${a.ok ? 'ok' : `failed (${a.error?.kind}/${a.error?.code})`}`,
  );
  console.log(
    `   ${label}: ${result.status}${result.source ? ` from ${result.source}` : ''}${result.reason ? `, reason ${result.reason}` : ''}`,
  );
  console.log(`     attempts: ${tried.join(' -> ')}`);
  if (result.status === 'failed')
    console.log(`     error: ${result.error.message.trimEnd().replaceAll('\n', '\n     ')}`);
  else console.log(`     value: ${render(result.value)}`);
}

/** A team over the project's fixture MCP server (stdio), with a scripted model. */
async function team(name: string, server: string, script: ScriptTurn[]) {
  const fx = stdioFixture();
  const built = await new MCPTeamBuilder(name)
    .withLlm(new ScriptedChatModel(script))
    .withLogger(logger)
    .withMcpServer(fx.command, fx.args, { name: server })
    .build();
  teams.push(built);
  return built;
}

try {
  console.log('1. Static fallback');
  const fetchUserData = withStaticFallback(callDeadApi, 'Unable to fetch data. Please try again later.');
  show('fetch user data', await fetchUserData('Fetch user data'), (v) => v);

  console.log('\n2. Dynamic fallback: primary team, then fallback team by error kind');
  const [primary, local] = await Promise.all([
    team('primary', 'remote', [
      { toolCalls: [{ name: 'remote__crash', args: {} }] },
      (messages) => ({ content: `primary saw: ${String(messages.at(-1)?.content).slice(0, 50)}...` }),
    ]),
    // The local team is asked twice (here and in the chain below): its script has two turns' worth.
    team('local', 'local', [
      { toolCalls: [{ name: 'local__echo', args: { text: 'processed 3 records locally' } }] },
      (messages) => ({ content: `local team: ${String(messages.at(-1)?.content)}` }),
      { toolCalls: [{ name: 'local__add', args: { a: 40, b: 2 } }] },
      (messages) => ({ content: `local team computed ${String(messages.at(-1)?.content)}` }),
    ]),
  ]);
  const dynamic = new DynamicFallback(teamExecutor(primary), teamExecutor(local), {
    shouldFallback: (e) => ['connection', 'timeout', 'circuitOpen', 'resource'].includes(e.kind),
    timeoutMs: 20_000,
  });
  show(
    'process data',
    await dynamic.execute('Process data'),
    (v) => `${v.answer} (${v.messages.length} messages)`,
  );

  console.log('\n3. Cached fallback: SQLite in a temp dir, JSON only, sha256 keys, TTL');
  const service = { up: true };
  const analyze: Executor<{ total: number; rows: number }> = async () => {
    if (!service.up) return callDeadApi('analyze').then(() => ({ total: 0, rows: 0 }));
    return { total: 1234.5, rows: 42 };
  };
  const store = join(dir, 'cache', 'answers.sqlite');
  const cached = new CachedFallback(analyze, { store, ttlMs: 60 * 60_000, namespace: 'analytics' });
  const render = (v: { total: number; rows: number }) => JSON.stringify(v);
  show('analyze (service up)', await cached.execute('Analyze data'), render);
  service.up = false;
  show('analyze (service down)', await cached.execute('Analyze data'), render);
  show('another task (never cached)', await cached.execute('Analyze other data'), render);
  await cached.close();
  const afterRestart = new CachedFallback(analyze, { store, namespace: 'analytics' });
  const served = await afterRestart.execute('  Analyze data ');
  show('after a restart, same task', served, render);
  if (served.status === 'degraded')
    console.log(
      `     (cached ${served.ageMs} ms ago, key ${afterRestart.keyFor('Analyze data').slice(0, 16)}...)`,
    );
  await afterRestart.close();

  console.log('\n4. Fallback chain: Primary API -> Backup API -> Local Server');
  const hangs: Executor<string> = () => new Promise(() => {});
  const chain = new FallbackChain<string>(
    [
      { name: 'Primary API', run: callDeadApi },
      { name: 'Backup API', run: hangs },
      { name: 'Local Server', run: async (task) => (await teamExecutor(local)(task)).answer },
    ],
    { timeoutMs: 300 },
  );
  show('process data', await chain.execute('Process data'), (v) => v);
  const allDown = new FallbackChain<string>(
    [
      { name: 'Primary API', run: callDeadApi },
      { name: 'Backup API', run: hangs },
    ],
    { timeoutMs: 300 },
  );
  show('process data, every option down', await allDown.execute('Process data'), (v) => v);
} finally {
  await Promise.all(teams.map((t) => t.cleanup()));
  rmSync(dir, { recursive: true, force: true });
}
