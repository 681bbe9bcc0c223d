/**
 * Basic error handling and error recovery, offline, all through the one runner `team.run`:
 *   1. one task, never a throw, one Outcome (success or degraded, a timeout, retries, a closed team)
 *   2. a build that fails: the TeamBuildError names every server and what to do
 *   3. the recover policy: input fixed and run again, a timeout split into subtasks, a failing tool
 *      replaced by another team
 *
 *   npx tsx examples/basic-error-handling.ts
 */
// In an app: import { MCPTeamBuilder, createLogger, retry, wrap, type Outcome } from 'azcore';
// import { constantBackoff, recover, fixInput, tryAlternatives } from 'azcore/patterns';
// import { RuleBasedChatModel, ScriptedChatModel } from 'azcore/testing'. The example imports the
// source modules it needs.
import { RuleBasedChatModel } from '../src/llm/RuleBasedChatModel.js';
import { ScriptedChatModel } from '../src/llm/ScriptedChatModel.js';
import { createLogger } from '../src/observe/logger.js';
import type { Outcome } from '../src/policy/Outcome.js';
import { retry } from '../src/policy/retry.js';
import { recover } from '../src/recovery/recover.js';
import { fixInput, tryAlternatives } from '../src/recovery/recoveryStrategies.js';
import { constantBackoff } from '../src/resilience/backoff.js';
import { MCPTeamBuilder } from '../src/team/MCPTeamBuilder.js';
import type { TeamAnswer } from '../src/team/teamRun.js';
import { stdioFixture } from '../test/fixtures/index.js';

const logger = createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'silent' });
const fixture = stdioFixture(); // our MCP test server over stdio: echo, add, slow, hang, fail...

function show(label: string, outcome: Outcome<TeamAnswer>): void {
  const attempts = outcome.attempts.length;
  if (outcome.status !== 'failed') {
    console.log(`${label}: ${outcome.status} after ${attempts} attempt(s); the answer:`);
    for (const line of outcome.value.answer.split('\n')) console.log(`    | ${line}`);
    for (const f of outcome.value.toolFailures)
      console.log(`    the model saw ${f.tool} fail (${f.error.kind})`);
  } else {
    console.log(`${label}: failed (${outcome.error.kind}) after ${attempts} attempt(s)`);
    console.log(`    ${outcome.error.message}`);
  }
}

// The rule-based offline model runs the `use: server__tool {json}` lines of a task in order.
const team = await new MCPTeamBuilder('basic_team')
  .withLlm(new RuleBasedChatModel({ maxToolCalls: 5 }))
  .withLogger(logger)
  .withMcpServer(fixture.command, fixture.args, { name: 'files' })
  .build();
const backup = await new MCPTeamBuilder('backup_team')
  .withLlm(
    new ScriptedChatModel([], { whenExhausted: { answer: 'the backup team answered from its own sources' } }),
  )
  .withLogger(logger)
  .build();

try {
  console.log('1. team.run: one Outcome, never a throw');
  // A failed tool call the model answered past makes the answer degraded, not a failure.
  show('  echo', await team.run('use: files__echo {"text":"Process data: done"}\nuse: files__fail {}'));
  show('  hang', await team.run('use: files__hang {}', { timeoutMs: 250 }));
  show(
    '  hang, 2 attempts',
    await team.run('use: files__hang {}', {
      timeoutMs: 150,
      policy: retry({ maxAttempts: 2, backoff: constantBackoff({ baseMs: 50 }) }),
    }),
  );

  console.log('\n2. a closed team, and a required server that cannot start');
  const closed = await new MCPTeamBuilder('closed_team')
    .withLlm(new RuleBasedChatModel())
    .withLogger(logger)
    .build();
  await closed.cleanup();
  show('  closed team', await closed.run('anything'));
  try {
    await new MCPTeamBuilder('fragile_team')
      .withLlm(new RuleBasedChatModel())
      .withLogger(logger)
      .withMcpServerHttp('http://127.0.0.1:9/mcp', { name: 'api' })
      .build();
  } catch (e) {
    const lines = (e instanceof Error ? e.message : String(e)).split('\n').map((l) => l.trim());
    console.log(`  build failed: ${lines.filter(Boolean).join('\n    ')}`);
  }

  console.log('\n3. the recover policy');
  const strategies = {
    // A user hook that cleans the input (the default re-asks the model with the error).
    input: fixInput({ rewrite: (task) => task.replace('"a":"one"', '"a":1') }),
    tool: tryAlternatives({ teams: [backup] }),
  };
  const tasks = {
    'input error': 'use: files__add {"a":"one","b":2}',
    timeout: 'use: files__slow {"ms":500}\nuse: files__slow {"ms":450}',
    'tool error': 'use: files__fail {"message":"quota exceeded"}',
    'cancelled by the caller': 'use: files__hang {}',
  };
  for (const [label, task] of Object.entries(tasks)) {
    // The caller gives up as soon as the hanging call starts: a cancellation is never "recovered".
    const controller = new AbortController();
    const watch = team.events$.subscribe((e) => {
      if (label.startsWith('cancelled') && e.type === 'call.started') controller.abort();
    });
    const outcome = await team.run(task, {
      signal: controller.signal,
      timeoutMs: 900,
      policy: recover(team, task, { strategies, timeoutMs: 900 }),
    });
    watch.unsubscribe();
    const trail = outcome.attempts.map((a) => `${a.source}:${a.ok ? 'ok' : a.error?.kind}`);
    const by = outcome.status === 'degraded' ? ` by ${outcome.source}` : '';
    console.log(`  ${label}: ${outcome.status}${by} [${trail.join(' -> ')}]`);
    if (outcome.status === 'failed') continue;
    const { answer } = outcome.value;
    const results = answer.split('\n').filter((line) => line.startsWith('- '));
    console.log(`    answer: ${results.length > 0 ? results.map((l) => l.slice(2)).join(' | ') : answer}`);
  }
} finally {
  await Promise.all([team.cleanup(), backup.cleanup()]);
}
