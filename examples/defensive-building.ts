/**
 * Defensive team building, offline:
 *   1. a connectivity check before depending on a URL (a real MCP handshake, never a throw)
 *   2. required and optional servers, built with retry: the first attempt's required server
 *      crashes at start, the second attempt works; the dead optional server is skipped
 *   3. input validation before a task reaches the team
 *   4. a pool of teams: concurrent tasks, first come first served, every team cleaned up at the end
 *
 *   npx tsx examples/defensive-building.ts
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { ofType } from '../src/events/EventBus.js';
import type { PoolEvent } from '../src/events/RuntimeEvent.js';
// In an app: import { MCPTeamBuilder, finalAnswer, createLogger, run, retry, wrap } from 'azcore'; import { constantBackoff } from 'azcore/patterns';
// import { checkConnectivity, TeamPool, checkTask, validateNumber, ... }
// from 'azcore/patterns'; import { RuleBasedChatModel } from 'azcore/testing'.
import { RuleBasedChatModel } from '../src/llm/RuleBasedChatModel.js';
import { createLogger } from '../src/observe/logger.js';
import { retry } from '../src/policy/retry.js';
import { run } from '../src/policy/run.js';
import { wrap } from '../src/policy/wrap.js';
import { TeamPool } from '../src/pool/TeamPool.js';
import { checkConnectivity, isReachable } from '../src/recovery/checkConnectivity.js';
import { constantBackoff } from '../src/resilience/backoff.js';
import { finalAnswer } from '../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../src/team/MCPTeamBuilder.js';
import { checkTask } from '../src/validation/checkTask.js';
import { validateNumber, validateRecord, validateString } from '../src/validation/validate.js';
import { stdioFixture } from '../test/fixtures/index.js';

const logger = createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'silent' });
const bin = (name: string) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'azcore-defensive-'));
const SEARCH_URL = 'http://127.0.0.1:9/mcp'; // nothing listens here: a real ECONNREFUSED

console.log('1. connectivity check');
const probe = await checkConnectivity(SEARCH_URL, { timeoutMs: 2_000 });
console.log(
  probe.status === 'success'
    ? `  search_api is up (${probe.value.server?.name})`
    : `  search_api is ${isReachable(probe.error) ? 'answering but unusable' : 'unreachable'}: ${probe.error.kind}/${probe.error.code}; it stays optional`,
);

console.log('\n2. required and optional servers, built with retry');
// The guide's connect_with_retry: a fresh builder per attempt, retried by the retry policy.
const built = await run(
  retry({
    maxAttempts: 3,
    backoff: constantBackoff({ baseMs: 100 }),
    shouldRetry: (error) => error.code === 'TEAM_BUILD_FAILED',
    onRetry: ({ attempt, delayMs, error }) => {
      const first = error.message.split('\n').find((line) => line.includes('- files'));
      console.log(`  attempt ${attempt} failed (${first?.trim()}); retrying in ${delayMs} ms`);
    },
  }),
  ({ attempt }) => {
    // The required server crashes at start on the first attempt only.
    const files = stdioFixture(attempt === 1 ? { faults: ['exit-immediately'] } : {});
    console.log(`  attempt ${attempt}: building`);
    return new MCPTeamBuilder('resilient_team')
      .withLlm(new RuleBasedChatModel())
      .withLogger(logger)
      .withMcpServer(files.command, files.args, { name: 'files' }) // required
      .withMcpServer(bin('mcp-server-memory'), [], {
        name: 'memory',
        optional: true,
        env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
      })
      .withMcpServerHttp(SEARCH_URL, { name: 'search_api', optional: true, connectTimeout: 2 })
      .skipFailedServers(true)
      .build();
  },
  { source: 'build' },
);
if (built.status === 'failed') throw built.error;
const team = built.value;
try {
  // build() waits only for the required server; an optional one joins when it is up.
  if (!team.getServerStates().memory?.tools) {
    await firstValueFrom(
      team.events$.pipe(
        ofType('team.server.joined'),
        filter((e) => e.server === 'memory'),
      ),
    );
    console.log('  memory joined after build() (team.server.joined)');
  }
  console.log(`  built: team is ${team.state}, ${team.getMcpServerCount()} of 3 servers connected`);
  for (const [name, s] of Object.entries(team.getServerStates())) {
    console.log(
      `    ${name.padEnd(10)} ${s.optional ? 'optional' : 'required'}  ${s.state}${s.lastError ? `  (${s.lastError.code})` : ''}`,
    );
  }

  console.log('\n3. validation before execution');
  for (const check of [
    () => validateString(42, { name: 'task' }),
    () => validateNumber('12', { name: 'limit', min: 1, max: 10, coerce: true }),
    () =>
      validateRecord(
        { target: 'x', mode: 'fast' },
        { name: 'params', required: ['action'], allowed: ['action', 'target'] },
      ),
  ]) {
    try {
      check();
    } catch (e) {
      console.log(`  rejected: ${e instanceof Error ? e.message.replace(/\n\s*/g, ' ') : String(e)}`);
    }
  }
  const rules = {
    params: { required: ['text'], fields: { text: { type: 'string' as const, maxLength: 40 } } },
    // The offline model reads `use: tool {json}` lines: hand it the validated params as the arguments.
    format: (task: string, params: Record<string, unknown>) => `${task} ${JSON.stringify(params)}`,
  };
  // checkTask gives the text to run and a validate policy, outermost: invalid input never reaches the team.
  const runChecked = (params: unknown) => {
    const checked = checkTask('use: files__echo', params, rules);
    return team.run(checked.task, {
      policy: wrap(checked.policy, retry({ maxAttempts: 3 })),
      timeoutMs: 30_000,
    });
  };
  const bad = await runChecked({ txt: 'typo' });
  console.log(
    `  bad params: ${bad.status} (${bad.error?.kind ?? ''}), team not called: ${bad.attempts.length === 0}`,
  );
  const good = await runChecked({ text: 'validated input' });
  // degraded, not success: the optional search_api server is still down (the reasons say so)
  console.log(
    `  good params: ${good.status}: ${good.status === 'failed' ? good.error.message : good.value.answer.split('\n')[1]?.slice(2)}`,
  );
  if (good.status === 'degraded') console.log(`  reasons: ${good.reasons.join('; ')}`);
} finally {
  await team.cleanup();
}

console.log('\n4. a pool of 2 teams serving 4 concurrent tasks');
const fixture = stdioFixture();
const pool = await TeamPool.create(
  (name) =>
    new MCPTeamBuilder(name)
      .withLlm(new RuleBasedChatModel())
      .withLogger(logger)
      .withMcpServer(fixture.command, fixture.args, { name: 'files' })
      .build(),
  { name: 'pool_team', size: 2, acquireTimeoutMs: 10_000 },
);
const events: PoolEvent[] = [];
pool.events$.subscribe((e) => events.push(e));
try {
  const answers = await Promise.all(
    [1, 2, 3, 4].map((n) =>
      pool.use(async (t) => {
        const { messages } = await t.invoke({ messages: [['human', `use: files__slow {"ms":${100 + n}}`]] });
        return `task ${n} on ${t.name}: ${finalAnswer(messages).split('\n')[1]?.slice(2)}`;
      }),
    ),
  );
  for (const line of answers) console.log(`  ${line}`);
  const count = (type: PoolEvent['type']) => events.filter((e) => e.type === type).length;
  console.log(
    `  events: ${count('pool.acquired')} acquired (${count('pool.queued')} after waiting), ${count('pool.released')} released; now ${JSON.stringify(pool.status)}`,
  );
} finally {
  await pool.closeAll();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`  closed: ${JSON.stringify(pool.status)}`);
