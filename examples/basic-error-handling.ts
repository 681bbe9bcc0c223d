/**
 * Basic error handling and error recovery, offline:
 *   1. executeSafely: one task, never a throw, a typed outcome (success, timeout, retries, closed team)
 *   2. a build that fails: the TeamBuildError names every server and what to do
 *   3. ErrorRecovery: input fixed and run again, a timeout split into subtasks, a failing tool
 *      replaced by another team
 *
 *   npx tsx examples/basic-error-handling.ts
 */
// In an app: import { MCPTeamBuilder, createLogger } from 'azcore'; import { constantBackoff } from 'azcore/patterns';
// import { executeSafely, ErrorRecovery, fixInput, tryAlternatives } from 'azcore/patterns';
// import { RuleBasedChatModel, ScriptedChatModel } from 'azcore/testing'. The example imports the
// source modules it needs.
import { RuleBasedChatModel } from '../src/llm/RuleBasedChatModel.js';
import { ScriptedChatModel } from '../src/llm/ScriptedChatModel.js';
import { createLogger } from '../src/observe/logger.js';
import { ErrorRecovery } from '../src/recovery/ErrorRecovery.js';
import { executeSafely, type SafeExecution } from '../src/recovery/executeSafely.js';
import { fixInput, tryAlternatives } from '../src/recovery/recoveryStrategies.js';
import { constantBackoff } from '../src/resilience/backoff.js';
import { MCPTeamBuilder } from '../src/team/MCPTeamBuilder.js';
import { stdioFixture } from '../test/fixtures/index.js';

const logger = createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'silent' });
const fixture = stdioFixture(); // our MCP test server over stdio: echo, add, slow, hang, fail...

function show(label: string, run: SafeExecution): void {
  if (run.status === 'success') {
    console.log(`${label}: success after ${run.attempts} attempt(s); the answer:`);
    for (const line of run.answer.split('\n')) console.log(`    | ${line}`);
    for (const f of run.toolFailures) console.log(`    the model saw ${f.tool} fail (${f.error.kind})`);
  } else {
    console.log(`${label}: failed (${run.errorType}) after ${run.attempts} attempt(s)`);
    console.log(`    ${run.error.message}`);
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
  console.log('1. executeSafely');
  show(
    '  echo',
    await executeSafely(team, 'use: files__echo {"text":"Process data: done"}\nuse: files__fail {}'),
  );
  show('  hang', await executeSafely(team, 'use: files__hang {}', { timeoutMs: 250 }));
  show(
    '  hang, 2 attempts',
    await executeSafely(team, 'use: files__hang {}', {
      timeoutMs: 150,
      maxAttempts: 2,
      backoff: constantBackoff({ baseMs: 50 }),
    }),
  );

  console.log('\n2. a closed team, and a required server that cannot start');
  const closed = await new MCPTeamBuilder('closed_team')
    .withLlm(new RuleBasedChatModel())
    .withLogger(logger)
    .build();
  await closed.cleanup();
  show('  closed team', await executeSafely(closed, 'anything'));
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

  console.log('\n3. ErrorRecovery');
  const recovery = new ErrorRecovery(team, {
    timeoutMs: 900,
    strategies: {
      // A user hook that cleans the input (the default re-asks the model with the error).
      input: fixInput({ rewrite: (task) => task.replace('"a":"one"', '"a":1') }),
      tool: tryAlternatives({ teams: [backup] }),
    },
  });
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
    const run = await recovery.executeWithRecovery(task, { signal: controller.signal });
    watch.unsubscribe();
    const trail = run.steps.map(
      (s) => `${s.strategy}${s.team === 'basic_team' ? '' : `@${s.team}`}:${s.ok ? 'ok' : s.error?.kind}`,
    );
    console.log(
      `  ${label}: ${run.status}${run.strategy ? ` by ${run.strategy}` : ''}, ${run.attempts} turn(s) [${trail.join(' -> ')}]`,
    );
    if (run.status === 'failed') continue;
    const results = run.answer.split('\n').filter((line) => line.startsWith('- '));
    console.log(
      `    answer: ${results.length > 0 ? results.map((l) => l.slice(2)).join(' | ') : run.answer}`,
    );
  }
} finally {
  await Promise.all([team.cleanup(), backup.cleanup()]);
}
