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
// In an app: import { MCPTeamBuilder, run, wrap, fallback, staticValue, dynamic, cached, timeout, type Outcome } from 'azcore';
// import { teamExecutor } from 'azcore/patterns' (a team as a fallback source); import { SqliteCacheStore } from 'azcore/cache';
// import { ScriptedChatModel } from 'azcore/testing'. The example imports the modules it needs.
import { cached } from '../src/fallback/cached.js';
import type { Executor } from '../src/fallback/Executor.js';
import { SqliteCacheStore } from '../src/fallback/SqliteCacheStore.js';
import { ScriptedChatModel, type ScriptTurn } from '../src/llm/ScriptedChatModel.js';
import { createLogger } from '../src/observe/logger.js';
import { dynamic } from '../src/policy/dynamic.js';
import { fallback } from '../src/policy/fallback.js';
import type { Outcome } from '../src/policy/Outcome.js';
import { run } from '../src/policy/run.js';
import { staticValue } from '../src/policy/staticValue.js';
import { timeout } from '../src/policy/timeout.js';
import { wrap } from '../src/policy/wrap.js';
import { MCPTeamBuilder } from '../src/team/MCPTeamBuilder.js';
import { teamExecutor } from '../src/team/teamExecutor.js';
import { stdioFixture } from '../test/fixtures/index.js';

const dir = mkdtempSync(join(tmpdir(), 'azcore-fallbacks-'));
const logger = createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'silent' });
const teams: { cleanup(): Promise<void> }[] = [];

/** Nothing listens on port 9 here: a real ECONNREFUSED, offline. */
async function callDeadApi(task: string): Promise<string> {
  const response = await fetch('http://127.0.0.1:9/api', { method: 'POST', body: task });
  return response.text();
}

function show<T>(label: string, result: Outcome<T>, render: (value: T) => string): void {
  const tried = result.attempts.map(
    (a) => `${a.source} ${a.ok ? 'ok' : `failed (${a.error?.kind}/${a.error?.code})`}`,
  );
  console.log(
    `   ${label}: ${result.status}${result.source ? ` from ${result.source}` : ''}${result.error ? `, reason ${result.error.kind}` : ''}`,
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
  const withStatic = fallback(staticValue('Unable to fetch data. Please try again later.'));
  show('fetch user data', await run(withStatic, () => callDeadApi('Fetch user data')), (v) => v);

  console.log('\n2. Dynamic fallback: primary.run(), then a fallback team by error kind');
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
  // Only outages fall back: bad credentials or bad input would fail on the local team too.
  const outagesOnly = {
    shouldFallback: (e: { kind: string }) =>
      ['connection', 'timeout', 'circuitOpen', 'resource'].includes(e.kind),
  };
  const localTeam = dynamic((ctx) => teamExecutor(local)('Process data', ctx), {
    name: 'fallback',
    policy: timeout(20_000),
  });
  // failOn: a tool call that failed because of its server fails the turn, so the fallback answers.
  show(
    'process data',
    await primary.run('Process data', {
      failOn: 'serverErrors',
      policy: wrap(fallback(outagesOnly, localTeam), timeout(20_000)),
    }),
    (v) => `${v.answer} (${v.messages.length} messages)`,
  );

  console.log('\n3. Cached fallback: SQLite in a temp dir, JSON only, sha256 keys, TTL');
  const service = { up: true };
  const analyze: Executor<{ total: number; rows: number }> = async () => {
    if (!service.up) return callDeadApi('analyze').then(() => ({ total: 0, rows: 0 }));
    return { total: 1234.5, rows: 42 };
  };
  const path = join(dir, 'cache', 'answers.sqlite');
  // One policy per task: the cache source is keyed on the task (sha256 of its canonical JSON).
  const analyzeCached = (store: SqliteCacheStore, task: string) =>
    run(
      fallback(
        cached<{ total: number; rows: number }>(store, {
          key: task,
          ttlMs: 60 * 60_000,
          namespace: 'analytics',
        }),
      ),
      (ctx) => analyze(task, ctx),
      { source: 'live' },
    );
  const render = (v: { total: number; rows: number }) => JSON.stringify(v);
  const store = new SqliteCacheStore({ path });
  show('analyze (service up)', await analyzeCached(store, 'Analyze data'), render);
  service.up = false;
  show('analyze (service down)', await analyzeCached(store, 'Analyze data'), render);
  show('another task (never cached)', await analyzeCached(store, 'Analyze other data'), render);
  store.close();
  const afterRestart = new SqliteCacheStore({ path });
  const served = await analyzeCached(afterRestart, '  Analyze data ');
  show('after a restart, same task', served, render);
  if (served.status === 'degraded') console.log(`     (cached ${served.ageMs} ms ago)`);
  afterRestart.close();

  console.log('\n4. Fallback chain: Primary API -> Backup API -> Local Server');
  // A chain is a fallback with several sources; each source has its own 300 ms budget here.
  const hangs = () => new Promise<string>(() => {});
  const backup = dynamic(hangs, { name: 'Backup API', policy: timeout(300) });
  const localServer = dynamic(async (ctx) => (await teamExecutor(local)('Process data', ctx)).answer, {
    name: 'Local Server',
    policy: timeout(300),
  });
  const primaryApi = { source: 'Primary API' };
  const chain = wrap(fallback(backup, localServer), timeout(300));
  show('process data', await run(chain, () => callDeadApi('Process data'), primaryApi), (v) => v);
  const allDown = wrap(fallback(backup), timeout(300));
  show(
    'process data, every option down',
    await run(allDown, () => callDeadApi('Process data'), primaryApi),
    (v) => v,
  );
} finally {
  await Promise.all(teams.map((t) => t.cleanup()));
  rmSync(dir, { recursive: true, force: true });
}
