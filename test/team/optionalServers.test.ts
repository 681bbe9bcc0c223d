import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ofType } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { type HttpFixture, startHttpFixture, stdioFixture, stopAllFixtures } from '../fixtures/index.js';
import { startTcpGate, type TcpGate } from './tcpGate.js';

const teams: MCPTeam[] = [];
const gates: TcpGate[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
  await Promise.all(gates.splice(0).map((g) => g.close()));
});
afterAll(stopAllFixtures);

/** An HTTP fixture behind a gate that holds every byte: a server that never answers until released. */
async function gatedServer(): Promise<{ fx: HttpFixture; gate: TcpGate; url: string }> {
  const fx = await startHttpFixture();
  const gate = await startTcpGate(fx.port);
  gates.push(gate);
  return { fx, gate, url: gate.url(fx.url) };
}

describe('build() waits for the required servers only; optional ones join when they connect', () => {
  it('a hanging optional server does not delay build(); released, it joins with an event and its tools are offered', async () => {
    const { gate, url } = await gatedServer();
    const fx = stdioFixture();
    const model = new ScriptedChatModel(
      [
        { toolCalls: [{ name: 'late__echo', args: { text: 'from the late server' } }] },
        (messages) => ({ content: `late said ${String(messages.at(-1)?.content)}` }),
      ],
      { whenExhausted: 'repeatLast' },
    );
    // A connect budget far beyond the test: only the gate decides when the server answers.
    const team = await new MCPTeamBuilder('joining')
      .withLlm(model)
      .withLogger(quietLogger)
      .withMcpServer(fx.command, fx.args, { name: 'alpha' })
      .withMcpServerHttp(url, { name: 'late', optional: true, connectTimeout: 600 })
      .skipFailedServers(true)
      .build();
    teams.push(team);

    // Built while the optional server's connect is held at the gate, unanswered.
    await gate.waitForConnections(1);
    expect(team.getServerStates().late).toMatchObject({ state: 'connecting', optional: true, tools: 0 });
    expect(team.getServerStates().alpha?.state).toBe('ready');
    expect(team.state).toBe('degraded');
    expect(team.getMcpToolNames()).toContain('alpha__echo');
    expect(team.getMcpToolNames().some((n) => n.startsWith('late__'))).toBe(false);
    expect((await team.getTools()).some((t) => t.name.startsWith('late__'))).toBe(false);

    const lists: string[][] = [];
    const sub = team.tools$.subscribe((tools) => lists.push(tools.map((t) => t.name)));
    const events: RuntimeEvent[] = [];
    const all = team.events$.subscribe((e) => events.push(e));
    const joined = firstValueFrom(team.events$.pipe(ofType('team.server.joined')));
    const lateTools = firstValueFrom(
      team.tools$.pipe(filter((tools) => tools.some((t) => t.name === 'late__echo'))),
    );
    gate.release();

    const event = await joined;
    expect(event).toMatchObject({
      type: 'team.server.joined',
      team: 'joining',
      server: 'late',
      source: 'team:joining',
    });
    expect(event.tools).toBe(team.getMcpToolNames().filter((n) => n.startsWith('late__')).length);
    expect(event.tools).toBeGreaterThan(5);
    await lateTools;
    expect(lists[0]?.some((n) => n.startsWith('late__'))).toBe(false);
    expect(lists.at(-1)).toEqual(expect.arrayContaining(['alpha__echo', 'late__echo']));
    expect(team.getServerStates().late).toMatchObject({ state: 'ready', available: true });
    if (team.state !== 'ready') {
      await firstValueFrom(team.events$.pipe(filter((e) => e.type === 'team.state' && e.to === 'ready')));
    }

    const { messages } = await team.invoke({ messages: [new HumanMessage('ask the late server')] });
    const tool = messages.find((m): m is ToolMessage => m instanceof ToolMessage);
    expect(tool?.status).toBe('success');
    expect(String(tool?.content)).toBe('from the late server');
    expect(model.calls[0]?.toolNames).toContain('late__echo');
    // Announced once.
    expect(events.filter((e) => e.type === 'team.server.joined')).toHaveLength(1);
    sub.unsubscribe();
    all.unsubscribe();
  });

  it('an optional server that is up when the required ones are is part of the team without an event', async () => {
    const fx = stdioFixture();
    const http = await startHttpFixture();
    const team = await new MCPTeamBuilder('together')
      .withLlm(new ScriptedChatModel([{ content: 'ok' }]))
      .withLogger(quietLogger)
      // An HTTP server already listening usually answers before a stdio server has spawned.
      .withMcpServerHttp(http.url.href, { name: 'spare', optional: true })
      .withMcpServer(fx.command, fx.args, { name: 'main' })
      .skipFailedServers(true)
      .build();
    teams.push(team);
    const joined: RuntimeEvent[] = [];
    const sub = team.events$.pipe(ofType('team.server.joined')).subscribe((e) => joined.push(e));
    if (team.getServerStates().spare?.tools === 0) {
      // Lost the race with the stdio server: it joins with the event instead.
      await firstValueFrom(team.events$.pipe(ofType('team.server.joined')));
      expect(joined).toHaveLength(1);
    } else expect(joined).toEqual([]);
    expect(team.getMcpToolNames()).toEqual(expect.arrayContaining(['main__echo', 'spare__echo']));
    sub.unsubscribe();
  });

  it.each([
    ['skipFailedServers(false): every server is required', false, 'alpha'],
    ['every server optional: build() waits for their first attempts', true, undefined],
  ] as const)('%s', async (_name, skip, required) => {
    const { gate, url } = await gatedServer();
    const fx = stdioFixture();
    const builder = new MCPTeamBuilder('strict')
      .withLlm(new ScriptedChatModel([{ content: 'ok' }]))
      .withLogger(quietLogger)
      .withMcpServerHttp(url, { name: 'late', optional: true, connectTimeout: 600 })
      .skipFailedServers(skip);
    if (required) builder.withMcpServer(fx.command, fx.args, { name: required });
    let built: MCPTeam | undefined;
    const building = builder.build().then((t) => {
      built = t;
      teams.push(t);
      return t;
    });
    await gate.waitForConnections(1);
    expect(built).toBeUndefined();
    gate.release();
    const team = await building;
    expect(team.getServerStates().late).toMatchObject({ state: 'ready', available: true });
    expect(team.getMcpToolNames()).toContain('late__echo');
  });
});
