/**
 * The demo behind `npm start`: a team over four MCP servers, one of which is dead, and one of
 * which is killed in the middle of the task. Everything runs offline on this machine.
 *
 *   npm start              readable progress, answer, status table, metrics and health
 *   npm start -- --json    one JSON document for machines
 *
 * Servers: server-filesystem on a temp directory and server-memory (stdio, from node_modules),
 * the project's fixture server over Streamable HTTP on 127.0.0.1, and an optional server at a dead
 * URL. The model is the embedded offline one, whatever the environment holds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HumanMessage } from '@langchain/core/messages';
import { filter, firstValueFrom } from 'rxjs';
import { createChatModel, createLogger, finalAnswer, MCPTeamBuilder } from '../src/index.js';
import { HealthChecker, MetricsCollector } from '../src/observe/index.js';
import { startHttpFixture } from '../test/fixtures/index.js';
import { summarizeRun } from './support/runSummary.js';

const json = process.argv.includes('--json');
const bin = (name: string) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const say = (line: string) => {
  if (!json) console.log(line);
};

const dir = mkdtempSync(join(tmpdir(), 'azcore-demo-'));
const notes = join(dir, 'notes.txt');
writeFileSync(notes, 'azcore keeps agent teams working while MCP servers crash, hang or expire sessions.\n');
const web = await startHttpFixture();

say('azcore demo: building a team over 4 MCP servers (one is dead on purpose)');
const team = await new MCPTeamBuilder('demo')
  .withLlm(createChatModel({ offline: { maxToolCalls: 10 } }))
  .withLogger(createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'silent' }))
  .withMcpServer(bin('mcp-server-filesystem'), [dir], { name: 'filesystem' })
  .withMcpServer(bin('mcp-server-memory'), [], {
    name: 'memory',
    env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
  })
  .withMcpServerHttp(web.url.href, { name: 'web' })
  .withMcpServerHttp('http://127.0.0.1:9/mcp', { name: 'offline', optional: true, connectTimeout: 2 })
  .skipFailedServers(true)
  .withReconnect({ backoffBaseMs: 100, backoffMaxMs: 2_000 })
  .withPrompt('You are a resilient assistant. Work with the tools that are online and say which are missing.')
  .build();

const metrics = new MetricsCollector();
metrics.observe(team.events$);
team.events$.subscribe((e) => {
  if (e.type === 'connection.state')
    say(`  [${e.server}] ${e.from} -> ${e.to}${e.reason ? `: ${e.reason.message}` : ''}`);
  if (e.type === 'breaker.transition') say(`  [${e.breaker}] breaker ${e.from} -> ${e.to}`);
  if (e.type === 'team.state') say(`  [team] ${e.from} -> ${e.to}`);
});
say(
  `team is ${team.state}: ${team.getMcpServerCount()} of 4 servers connected, ${team.getMcpToolNames().length} tools`,
);

// Midway, the memory server dies: right after its first tool call succeeds.
let killed = false;
let noticed: Promise<unknown> = Promise.resolve();
team.events$.subscribe((e) => {
  if (!killed && e.type === 'call.succeeded' && e.server === 'memory') {
    killed = true;
    const memory = team.getServer('memory');
    if (memory) noticed = firstValueFrom(memory.state$.pipe(filter((s) => s === 'reconnecting')));
    const pid = team.getServer('memory')?.pid;
    say(`  !! killing the memory server (SIGKILL pid ${pid}) in the middle of the task`);
    if (pid) process.kill(pid, 'SIGKILL');
  }
});

const firstTask = [
  'Remember what azcore is, read my notes and check the web service.',
  `use: memory__create_entities {"entities":[{"name":"azcore","entityType":"project","observations":["MCP client runtime"]}]}`,
  `use: filesystem__read_text_file {"path":${JSON.stringify(notes)}}`,
  'use: web__echo {"text":"web service is up"}',
].join('\n');
const secondTask = ['Now recall everything you remember.', 'use: memory__read_graph {}'].join('\n');

/** Runs one turn, printing each tool result as it arrives; returns the final answer. */
async function turn(text: string, log: string[]): Promise<string> {
  let answer = '';
  for await (const step of team.stream({ messages: [new HumanMessage(text)] }, { timeoutMs: 60_000 })) {
    if (step.type === 'tool') {
      const status = step.message.status === 'error' ? 'FAILED' : 'ok';
      const line = `  tool ${step.tool} (${step.server ?? '?'}): ${status} in ${Math.round(step.durationMs)} ms`;
      log.push(line);
      say(line);
    }
    if (step.type === 'final') answer = finalAnswer(step.messages);
  }
  return answer;
}

try {
  const steps: string[] = [];
  say('\nturn 1: store a fact, read a file, call the web service');
  const first = await turn(firstTask, steps);
  say(`\nanswer 1:\n${first}`);

  say('\nwaiting for the memory server to come back (the connection actor reconnects on its own)');
  const memory = team.getServer('memory');
  await noticed; // the SIGKILL is seen asynchronously: wait until the actor has noticed it
  if (memory && memory.state !== 'ready')
    await firstValueFrom(memory.state$.pipe(filter((s) => s === 'ready')));
  say(`memory is ${memory?.state} again (new pid ${memory?.pid}); team is ${team.state}`);

  say('\nturn 2: recall from memory (its data survived the crash in MEMORY_FILE_PATH)');
  const second = await turn(secondTask, steps);
  const health = await new HealthChecker(team).checkHealth();
  const summary = summarizeRun(team, metrics, health);
  if (json) {
    console.log(JSON.stringify({ answers: [first, second], tools: steps, ...summary }, null, 2));
  } else {
    say(`\nanswer 2:\n${second}\n`);
    say('servers:');
    console.table(summary.servers);
    say('calls per server (MetricsCollector, derived from the event stream):');
    console.table(summary.metrics);
    say(`health: ${summary.health.status} (${summary.health.detail})`);
  }
} finally {
  await team.cleanup();
  await web.stop();
  rmSync(dir, { recursive: true, force: true });
  say('cleaned up: every server closed, every child process gone');
}
