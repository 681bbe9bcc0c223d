/**
 * Graceful degradation, offline:
 *   1. skip failed servers: a required memory server, an optional fixture server, and an optional
 *      search server at a dead URL; the team starts degraded instead of failing
 *   2. capability detection from the live tools, and adaptive execution (adaptTask + team.run): a
 *      task that needs search runs with a note telling the model search is missing; the Outcome is
 *      degraded with a reason per missing capability or unavailable server
 *   3. capabilities are detected at call time: the files server is killed, its capability is
 *      missing at once, and back when the connection actor has reconnected
 *
 *   npx tsx examples/graceful-degradation.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
// In an app: import { MCPTeamBuilder, type Outcome } from 'azcore';
// import { adaptTask, availableCapabilities, detectCapabilities } from 'azcore/patterns'.
import { type AdaptedTask, adaptTask } from '../src/capabilities/adaptTask.js';
import { availableCapabilities, detectCapabilities } from '../src/capabilities/detectCapabilities.js';
import { ofType } from '../src/events/EventBus.js';
import { RuleBasedChatModel } from '../src/llm/RuleBasedChatModel.js';
import { createLogger } from '../src/observe/logger.js';
import type { Outcome } from '../src/policy/Outcome.js';
import { MCPTeamBuilder } from '../src/team/MCPTeamBuilder.js';
import type { TeamAnswer } from '../src/team/teamRun.js';
import { stdioFixture } from '../test/fixtures/index.js';

const logger = createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'silent' });
const bin = (name: string) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'azcore-degrade-'));
const fixture = stdioFixture();

console.log('1. skip failed servers');
// memory is ours: which tools provide it, which tasks need it, what to say without it.
const capabilities = {
  memory: {
    tools: /^memory__/,
    task: /\b(remember|recall)\b/i,
    whenMissing: 'Memory is unavailable: do not promise to remember anything.',
  },
};
const team = await new MCPTeamBuilder('resilient_team')
  .withLlm(new RuleBasedChatModel())
  .withLogger(logger)
  // Critical server (must succeed)
  .withMcpServer(bin('mcp-server-memory'), [], {
    name: 'memory',
    env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
  })
  // Optional servers (may fail)
  .withMcpServer(fixture.command, fixture.args, { name: 'files', optional: true })
  .withMcpServerHttp('http://127.0.0.1:9/mcp', { name: 'search', optional: true, connectTimeout: 2 })
  .withReconnect({ backoffBaseMs: 100, backoffMaxMs: 400 })
  .withPrompt('You are a resilient assistant. Work with the tools that are online and say which are missing.')
  .skipFailedServers(true)
  .build();
const detect = () => detectCapabilities(team.getMcpToolNames(), capabilities);
// build() waits only for the required server; an optional one joins when it is up.
if (!team.getServerStates().files?.tools) {
  await firstValueFrom(
    team.events$.pipe(
      ofType('team.server.joined'),
      filter((e) => e.server === 'files'),
    ),
  );
  console.log('  files joined after build() (team.server.joined)');
}
console.log(`  team is ${team.state}; ${team.getMcpToolNames().length} tools online`);
for (const [name, s] of Object.entries(team.getServerStates())) {
  console.log(
    `    ${name.padEnd(7)} ${s.optional ? 'optional' : 'required'}  ${s.state.padEnd(12)} ${s.tools} tools`,
  );
}

/** Fits the task to the capabilities online now, runs it with team.run, and prints the Outcome. */
async function runAdapted(label: string, task: string): Promise<void> {
  const adapted: AdaptedTask = adaptTask(team, task, { capabilities });
  const outcome: Outcome<TeamAnswer> = await team.run(adapted.task, { policy: adapted.policy });
  console.log(
    `  ${label}: ${outcome.status}; needs [${adapted.required.join(', ')}], missing [${adapted.missing.join(', ')}]`,
  );
  for (const line of adapted.task.split('\n').filter((l) => l.startsWith('Note:')))
    console.log(`    told the model: ${line}`);
  for (const reason of outcome.reasons ?? []) console.log(`    reason: ${reason}`);
  if (outcome.status === 'failed') console.log(`    error: ${outcome.error.message}`);
  // The offline model answers with a line per tool call it ran, or says what it could not run.
  else
    for (const line of outcome.value.answer.split('\n').filter((l) => /^- .*(\{|not run)/.test(l)))
      console.log(`    ${line}`);
}

try {
  console.log('\n2. capability detection and adaptive execution');
  const detected = detect();
  for (const [capability, tools] of Object.entries(detected)) {
    console.log(
      `    ${capability.padEnd(10)} ${tools.length > 0 ? `${tools.length} tools, e.g. ${tools[0]}` : 'MISSING'}`,
    );
  }
  const task = [
    'Remember that azcore degrades gracefully, search the web for MCP news and save the results to a file.',
    'use: memory__create_entities {"entities":[{"name":"azcore","entityType":"project","observations":["degrades gracefully"]}]}',
    'use: files__echo {"text":"results saved"}',
  ].join('\n');
  await runAdapted('remember, search, save', task);

  console.log('\n3. detected at call time');
  const files = team.getServer('files')!;
  console.log(`  killing the files server (SIGKILL pid ${files.pid})`);
  process.kill(files.pid!, 'SIGKILL');
  await firstValueFrom(files.state$.pipe(filter((s) => s !== 'ready')));
  console.log(`  available now: ${availableCapabilities(detect()).join(', ')}`);
  const save = 'Save the summary to a file.\nuse: files__echo {"text":"summary saved"}';
  await runAdapted('save to a file', save);

  await firstValueFrom(files.state$.pipe(filter((s) => s === 'ready')));
  console.log(
    `  files reconnected (new pid ${files.pid}); available: ${availableCapabilities(detect()).join(', ')}`,
  );
  await runAdapted('save to a file', save);
} finally {
  await team.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
