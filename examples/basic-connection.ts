/**
 * The core runtime in one page: connect to a real MCP server over stdio, call tools, SIGKILL the
 * server in the middle, and watch the connection actor reconnect while the next call succeeds.
 *
 *   npm start            (or: npx tsx examples/basic-connection.ts)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { ServerConnection } from '../src/index.js';

const bin = (name: string) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'azcore-demo-'));

const memory = new ServerConnection({
  config: {
    name: 'memory',
    transport: 'stdio',
    command: bin('mcp-server-memory'),
    env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
    requestTimeoutMs: 10_000,
  },
});

memory.events$.subscribe((e) => {
  if (e.type === 'connection.state')
    console.log(`  [state]   ${e.from} -> ${e.to}${e.reason ? `  (${e.reason.message})` : ''}`);
  if (e.type === 'breaker.transition') console.log(`  [breaker] ${e.from} -> ${e.to}`);
  if (e.type === 'call.failed') console.log(`  [call]    ${e.tool} failed: ${e.error.kind} ${e.error.code}`);
  if (e.type === 'call.retried')
    console.log(`  [retry]   ${e.tool} attempt ${e.attempt} again in ${Math.round(e.delayMs)} ms`);
});

try {
  console.log('connecting to server-memory over stdio');
  await memory.start();
  const tools = await memory.listTools();
  console.log(`ready, pid ${memory.pid}, ${tools.length} tools: ${tools.map((t) => t.name).join(', ')}`);

  await memory.callTool('create_entities', {
    entities: [{ name: 'azcore', entityType: 'project', observations: ['keeps MCP servers dependable'] }],
  });
  console.log('stored an entity');

  console.log(`killing the server (SIGKILL pid ${memory.pid})`);
  process.kill(memory.pid!, 'SIGKILL');
  await firstValueFrom(memory.state$.pipe(filter((s) => s === 'reconnecting')));

  const graph = await memory.callTool('read_graph', {});
  const text = graph.content[0]?.type === 'text' ? graph.content[0].text : '';
  console.log(
    `after the crash, read_graph answered from a new process (pid ${memory.pid}): ${text.slice(0, 80)}...`,
  );
  console.log(`connection: ${memory.state}, breaker: ${memory.breaker.state}`);
} finally {
  await memory.close();
  rmSync(dir, { recursive: true, force: true });
  console.log('closed; no child process left');
}
