// azcore's live tools inside a real LangGraph agent (createReactAgent) over a real stdio server
// that is killed mid-run and comes back: the call in between fails fast with a typed error, the
// agent goes on, and after the reconnect the same tool object works again.
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import type { ConnectionStateName } from '../../src/events/RuntimeEvent.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { connectionTools } from '../../src/team/connectionTools.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const teams: MCPTeam[] = [];
const connections: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all([
    ...teams.splice(0).map((t) => t.cleanup()),
    ...connections.splice(0).map((c) => c.close()),
  ]);
});
afterAll(stopAllFixtures);

async function buildTeam(model: ScriptedChatModel) {
  const fx = stdioFixture();
  const team = await new MCPTeamBuilder('lg')
    .withLlm(model)
    .withLogger(quietLogger)
    // A visible window between the kill and the new process.
    .withReconnect({ backoffBaseMs: 400, backoffMaxMs: 800 })
    .withMcpServer(fx.command, fx.args, { name: 'alpha' })
    .build();
  teams.push(team);
  return team;
}

function until(server: ServerConnection, wanted: (s: ConnectionStateName) => boolean) {
  if (wanted(server.state)) return Promise.resolve(server.state);
  return firstValueFrom(server.state$.pipe(filter(wanted)));
}

const toolMessages = (messages: unknown[]) =>
  messages.filter((m): m is ToolMessage => m instanceof ToolMessage);

describe('team.getTools() in a LangGraph createReactAgent', () => {
  it('a kill mid-run: the call fails fast and typed, the agent continues, and the tool works after the reconnect', async () => {
    let team!: MCPTeam;
    let failedFastInMs = Number.NaN;
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'alpha__echo', args: { text: 'before' } }] },
      async () => {
        const alpha = team.getServer('alpha')!;
        process.kill(alpha.pid!, 'SIGKILL');
        await until(alpha, (s) => s !== 'ready');
        failedFastInMs = performance.now();
        return { toolCalls: [{ name: 'alpha__echo', args: { text: 'during' } }] };
      },
      async () => {
        failedFastInMs = performance.now() - failedFastInMs;
        await until(team.getServer('alpha')!, (s) => s === 'ready');
        return { toolCalls: [{ name: 'alpha__echo', args: { text: 'after' } }] };
      },
      (messages) => ({ content: `last tool said: ${String(messages.at(-1)?.content)}` }),
    ]);
    team = await buildTeam(model);
    const tools = await team.getTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['alpha__echo', 'alpha__add']));
    expect(await team.getTools('nobody')).toEqual([]);

    const agent = createReactAgent({ llm: model, tools });
    const { messages } = await agent.invoke({ messages: [new HumanMessage('echo three times')] });

    const results = toolMessages(messages);
    expect(results.map((m) => m.status)).toEqual(['success', 'error', 'success']);
    expect(results[0]?.content).toBe('before');
    expect(String(results[1]?.content)).toMatch(
      /^Error \[connection\/NOT_CONNECTED\]: \[alpha\] The server is reconnecting; the call was not sent/,
    );
    expect(results[1]?.artifact).toMatchObject({
      server: 'alpha',
      isError: true,
      error: { kind: 'connection' },
    });
    expect(failedFastInMs).toBeLessThan(1_000);
    expect(results[2]?.content).toBe('after');
    expect(String(messages.at(-1)?.content)).toBe('last tool said: after');
  });

  it('tools$ follows the live set (gone while the server is down, back after); onToolsChanged hears it', async () => {
    const team = await buildTeam(new ScriptedChatModel([{ content: 'unused' }]));
    const seen: string[][] = [];
    const changes: number[] = [];
    const sub = team.tools$.subscribe((tools) => seen.push(tools.map((t) => t.name)));
    const off = team.onToolsChanged((tools) => changes.push(tools.length));
    await firstValueFrom(team.tools$.pipe(filter((t) => t.length > 0)));
    const alpha = team.getServer('alpha')!;
    const before = await team.getTools();
    process.kill(alpha.pid!, 'SIGKILL');
    await firstValueFrom(team.tools$.pipe(filter((t) => t.length === 0)));
    expect(team.getMcpToolNames()).toEqual([]);
    const back = await firstValueFrom(team.tools$.pipe(filter((t) => t.length > 0)));
    expect(back.map((t) => t.name)).toContain('alpha__echo');
    // The objects handed out before the kill keep working.
    const echo = before.find((t) => t.name === 'alpha__echo')!;
    expect(await echo.invoke({ text: 'still me' })).toBe('still me');
    sub.unsubscribe();
    off();
    expect(seen.some((names) => names.length === 0)).toBe(true);
    expect(changes).toContain(0);
  });

  it('connectionTools(connection) gives one ServerConnection the same live tool set', async () => {
    const fx = stdioFixture();
    const alpha = new ServerConnection({
      config: { name: 'solo', transport: 'stdio', command: fx.command, args: fx.args },
      logger: quietLogger,
    });
    connections.push(alpha);
    await alpha.start();
    const set = connectionTools(alpha);
    const tools = await set.getTools();
    expect(tools.map((t) => t.name)).toContain('solo__add');
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'solo__add', args: { a: 2, b: 40 } }] },
      (messages) => ({ content: String(messages.at(-1)?.content) }),
    ]);
    const agent = createReactAgent({ llm: model, tools });
    const { messages } = await agent.invoke({ messages: [new HumanMessage('add')] });
    expect(String(messages.at(-1)?.content)).toBe('42');
    await alpha.close();
    const add = tools.find((t) => t.name === 'solo__add')!;
    expect(await add.invoke({ a: 1, b: 1 })).toMatch(/^Error \[connection\/CLOSED\]/);
  });
});
