// ToolRegistry.live() answers from its last result until something it is made of changes. Each
// step compares the answer with one a fresh registry computes over the same servers, so the cache
// changes nothing a turn sees: a breaker opening, a tool list changing, time passing an open
// breaker's retry time, and a team turn whose breaker opens between two model steps.
import { HumanMessage } from '@langchain/core/messages';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { systemPromptFor } from '../../src/team/systemPrompt.js';
import { type LiveTools, ToolRegistry } from '../../src/team/ToolRegistry.js';
import { inMemoryServer, quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const open: ServerConnection[] = [];
const teams: MCPTeam[] = [];
afterEach(async () => {
  await Promise.all([...open.splice(0).map((c) => c.close()), ...teams.splice(0).map((t) => t.cleanup())]);
});
afterAll(stopAllFixtures);

async function connection(name: string) {
  const mem = inMemoryServer((server) => {
    server.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
  }, name);
  const conn = new ServerConnection({
    config: { name, transport: 'stdio', command: 'in-memory' },
    transportFactory: mem.factory,
    logger: quietLogger,
  });
  open.push(conn);
  await conn.start();
  await conn.listTools();
  return { conn, mem };
}

/** What a turn sees of a live answer: the tools offered and the system prompt. */
function seen(live: LiveTools) {
  return {
    tools: live.tools.map((t) => t.name),
    prompt: systemPromptFor('p', live.capabilities),
  };
}

describe('ToolRegistry.live(): cached, and the same as computed afresh', () => {
  it('keeps its answer while nothing changes, and follows breaker, clock and tool-list changes', async () => {
    const a = await connection('a');
    const b = await connection('b');
    const servers = [a.conn, b.conn];
    const registry = new ToolRegistry(servers);
    const fresh = () => seen(new ToolRegistry(servers).live());

    const first = registry.live();
    expect(registry.live()).toBe(first);
    expect(seen(first)).toEqual(fresh());
    expect(seen(first).tools).toEqual(['a__echo', 'b__echo']);

    // A breaker opens: the next answer leaves the server out.
    a.conn.breaker.applyOpen(Date.now());
    const opened = registry.live();
    expect(opened).not.toBe(first);
    expect(seen(opened)).toEqual(fresh());
    expect(seen(opened).tools).toEqual(['b__echo']);
    expect(seen(opened).prompt).toMatch(/a: UNAVAILABLE \(\w+, breaker open\)/);

    // Still open, but past its retry time: available again with no event, only the clock moved.
    a.conn.breaker.applyOpen(Date.now() - 600_000);
    expect(a.conn.breaker.state).toBe('open');
    const due = registry.live();
    expect(seen(due)).toEqual(fresh());
    expect(seen(due).tools).toEqual(['a__echo', 'b__echo']);

    // The server's tool list changes (list_changed, then a refetch): the new tool is offered.
    a.conn.breaker.reset();
    const listed = firstValueFrom(a.conn.events$.pipe(filter((e) => e.type === 'tools.changed')));
    a.mem.servers.at(-1)?.registerTool('shout', { inputSchema: z.object({}) }, async () => ({
      content: [{ type: 'text', text: 'HI' }],
    }));
    await listed;
    await registry.refresh();
    const grown = registry.live();
    expect(seen(grown)).toEqual(fresh());
    expect(seen(grown).tools).toEqual(['a__echo', 'a__shout', 'b__echo']);
    expect(registry.live()).toBe(grown);
  });
});

describe('a team turn sees a breaker that opens between two model steps', () => {
  it('the next step offers neither the tools nor the prompt line of that server', async () => {
    const fx = stdioFixture();
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'alpha__echo', args: { text: 'one' } }] },
      { toolCalls: [{ name: 'beta__echo', args: { text: 'two' } }] },
      { content: 'done' },
    ]);
    const team = await new MCPTeamBuilder('cache')
      .withLlm(model)
      .withLogger(quietLogger)
      .withMcpServer(fx.command, fx.args, { name: 'alpha' })
      .withMcpServer(fx.command, fx.args, { name: 'beta' })
      .build();
    teams.push(team);
    // Opens alpha's breaker once its first call has answered: between model steps 1 and 2.
    const sub = team.events$
      .pipe(filter((e) => e.type === 'call.succeeded' && e.server === 'alpha'))
      .subscribe(() => team.getServer('alpha')?.breaker.applyOpen(Date.now()));
    await team.invoke({ messages: [new HumanMessage('go')] });
    sub.unsubscribe();
    expect(model.calls[0]?.toolNames).toContain('alpha__echo');
    expect(model.calls[1]?.toolNames).not.toContain('alpha__echo');
    expect(model.calls[1]?.toolNames).toContain('beta__echo');
    expect(model.calls[1]?.systemPrompt).toMatch(/alpha: UNAVAILABLE/);
    expect(model.calls[0]?.systemPrompt).not.toMatch(/UNAVAILABLE/);
  });
});
