import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { isTeamBuildError } from '../../src/errors/TeamBuildError.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { finalAnswer } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { processAlive, startHttpFixture, stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const teams: MCPTeam[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
});
afterAll(stopAllFixtures);

function builder(model = new ScriptedChatModel([{ content: 'done' }])) {
  const fx = stdioFixture();
  return new MCPTeamBuilder('t')
    .withLlm(model)
    .withLogger(quietLogger)
    .withMcpServer(fx.command, fx.args, { name: 'alpha' })
    .withMcpServer(fx.command, fx.args, { name: 'beta' });
}
async function build(b: MCPTeamBuilder) {
  const team = await b.build();
  teams.push(team);
  return team;
}
/** Resolves once `server`'s first connect attempt has failed (at once if it already has). */
async function firstFailure(team: MCPTeam, server: string): Promise<void> {
  if (team.getServerStates()[server]?.lastError) return;
  await firstValueFrom(
    team.events$.pipe(
      filter((e) => e.type === 'connection.state' && e.server === server && e.reason !== undefined),
    ),
  );
}
const toolMessages = (messages: unknown[]) =>
  messages.filter((m): m is ToolMessage => m instanceof ToolMessage);

describe('MCPTeam: the agent loop over real servers', () => {
  it('runs tool calls of one turn concurrently, returns the conversation, and reports its state', async () => {
    const model = new ScriptedChatModel([
      {
        toolCalls: [
          { name: 'alpha__echo', args: { text: 'from alpha' } },
          { name: 'beta__add', args: { a: 2, b: 3 } },
        ],
      },
      (messages) => ({
        content: `alpha said ${String(messages.at(-2)?.content)}, beta said ${String(messages.at(-1)?.content)}`,
      }),
    ]);
    const team = await build(builder(model));
    expect(team.state).toBe('ready');
    expect(team.getMcpServerCount()).toBe(2);
    expect(team.getMcpToolNames()).toEqual(
      expect.arrayContaining(['alpha__echo', 'beta__echo', 'beta__add']),
    );
    expect(team.actor.system.get('server:alpha')).toBeDefined();
    expect(team.actor.system.get('breaker:beta')).toBeDefined();

    const { messages } = await team.invoke({ messages: [new HumanMessage('echo and add')] });
    expect(messages.map((m) => m.getType())).toEqual(['human', 'ai', 'tool', 'tool', 'ai']);
    expect(toolMessages(messages).map((m) => m.status)).toEqual(['success', 'success']);
    expect(finalAnswer(messages)).toBe('alpha said from alpha, beta said 5');
    expect(model.calls[0]?.systemPrompt).toMatch(/alpha: online/);
    expect(model.calls[0]?.toolNames).toContain('alpha__echo');
  });

  it('binds the tools once per turn, and again only when the offered tools changed (a tool added mid-turn is offered at the next step)', async () => {
    class CountingModel extends ScriptedChatModel {
      binds = 0;
      override bindTools(...args: Parameters<ScriptedChatModel['bindTools']>) {
        this.binds++;
        return super.bindTools(...args);
      }
    }
    const model = new CountingModel([
      { toolCalls: [{ name: 'alpha__echo', args: { text: 'one' } }] },
      { toolCalls: [{ name: 'alpha__add_tool', args: { name: 'fresh' } }] },
      { toolCalls: [{ name: 'alpha__fresh', args: {} }] },
      { content: 'used it' },
      { content: 'done' },
    ]);
    const team = await build(builder(model));
    const first = await team.invoke({ messages: [new HumanMessage('grow a tool and use it')] });
    // The server announced the new tool with add_tool's result: the next model step of the same turn
    // is offered it (list_changed reaches the machine at once; its refetch is the listing the turn waits for).
    expect(toolMessages(first.messages).map((m) => m.content)).toEqual(['one', 'added fresh', 'tool fresh']);
    // Two steps offered the same tools, then the grown list: two bindings.
    expect(model.binds).toBe(2);
    await team.invoke({ messages: [new HumanMessage('again')] });
    expect(model.calls.map((c) => c.toolNames.includes('alpha__fresh'))).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
    // A turn binds once for its steps that offer the same tools.
    expect(model.binds).toBe(3);
  });

  it('a tool failure (crash mid-turn) comes back as an error ToolMessage; the turn goes on', async () => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'alpha__crash', args: {} }] },
      (messages) => ({ content: `recovered: ${String(messages.at(-1)?.content).slice(0, 40)}` }),
    ]);
    const team = await build(builder(model));
    const { messages } = await team.invoke({ messages: [new HumanMessage('crash it')] });
    const [result] = toolMessages(messages);
    expect(result?.status).toBe('error');
    expect(String(result?.content)).toMatch(/^Error \[connection/);
    expect(finalAnswer(messages)).toMatch(/^recovered/);
  });

  it('bad arguments are an input error for the model and no request is sent', async () => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'alpha__add', args: { a: 'one' } }] },
      { content: 'ok' },
    ]);
    const team = await build(builder(model));
    const events: RuntimeEvent[] = [];
    team.events$.subscribe((e) => events.push(e));
    const { messages } = await team.invoke({ messages: [new HumanMessage('add')] });
    const [result] = toolMessages(messages);
    expect(result?.status).toBe('error');
    expect(String(result?.content)).toMatch(/input/);
    expect(events.filter((e) => e.type === 'call.started')).toHaveLength(0);
  });

  it('a server behind an open breaker disappears from the tools and the prompt, and comes back', async () => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'alpha__fail', args: {} }] },
      { content: 'first turn over' },
      { content: 'second turn' },
    ]);
    const team = await build(
      builder(model).withCircuitBreaker(
        { strategy: { kind: 'consecutive', threshold: 1 }, resetTimeoutMs: 300, successThreshold: 1 },
        { toolErrorsTrip: true },
      ),
    );
    const halfOpen = firstValueFrom(
      team.events$.pipe(
        filter((e) => e.type === 'breaker.transition' && e.breaker === 'alpha' && e.to === 'halfOpen'),
      ),
    );
    await team.invoke({ messages: [new HumanMessage('fail')] });
    expect(model.calls[1]?.toolNames.some((n) => n.startsWith('alpha__'))).toBe(false);
    expect(model.calls[1]?.systemPrompt).toMatch(/alpha: UNAVAILABLE/);
    expect(team.getServerStates().alpha).toMatchObject({ breaker: 'open', available: false });
    expect(team.state).toBe('degraded');
    await halfOpen;
    await team.invoke({ messages: [new HumanMessage('again')] });
    expect(model.calls[2]?.toolNames).toContain('alpha__echo');
  });

  it('calling a tool of a server that is down gives the model an "unavailable" error', async () => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'ghost__echo', args: {} }] },
      { content: 'ok' },
    ]);
    const team = await build(builder(model));
    const { messages } = await team.invoke({ messages: [new HumanMessage('x')] });
    expect(String(toolMessages(messages)[0]?.content)).toMatch(/unavailable/);
  });

  it('the turn deadline caps tool calls: a hanging tool ends the turn with a TimeoutError', async () => {
    const model = new ScriptedChatModel([{ toolCalls: [{ name: 'alpha__hang', args: {} }] }], {
      whenExhausted: 'repeatLast',
    });
    const team = await build(builder(model));
    await expect(
      team.invoke({ messages: [new HumanMessage('hang')] }, { timeoutMs: 300 }),
    ).rejects.toMatchObject({
      kind: 'timeout',
      step: 'turn',
    });
    expect(team.state).toBe('ready');
  });

  it('stream() yields model, tool and final steps with the server of each tool', async () => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'beta__echo', args: { text: 'x' } }] },
      { content: 'fin' },
    ]);
    const team = await build(builder(model));
    const steps = [];
    for await (const step of team.stream({ messages: [new HumanMessage('go')] })) steps.push(step);
    expect(steps.map((s) => s.type)).toEqual(['model', 'tool', 'model', 'final']);
    expect(steps[1]).toMatchObject({ type: 'tool', tool: 'beta__echo', server: 'beta' });
    expect(steps[3]).toMatchObject({ type: 'final', stoppedBy: 'answer', iterations: 2 });
  });

  it('stops at maxIterations', async () => {
    const model = new ScriptedChatModel([{ toolCalls: [{ name: 'alpha__echo', args: { text: 'again' } }] }], {
      whenExhausted: 'repeatLast',
    });
    const team = await build(builder(model).withMaxIterations(3));
    const steps = [];
    for await (const step of team.stream({ messages: [new HumanMessage('loop')] })) steps.push(step);
    expect(steps.at(-1)).toMatchObject({ type: 'final', stoppedBy: 'maxIterations', iterations: 3 });
    expect(model.calls).toHaveLength(3);
  });
});

describe('MCPTeamBuilder: degraded builds', () => {
  it('skipFailedServers(false): a dead server fails the build with every cause; nothing is left running', async () => {
    const dead = await startHttpFixture();
    const url = dead.url.href;
    await dead.kill();
    const fx = stdioFixture();
    const error = await new MCPTeamBuilder('strict')
      .withLlm(new ScriptedChatModel([]))
      .withLogger(quietLogger)
      .withMcpServer(fx.command, fx.args, { name: 'alive' })
      .withMcpServerHttp(url, { name: 'dead', optional: true })
      .build()
      .catch((e: unknown) => e);
    expect(isTeamBuildError(error)).toBe(true);
    if (!isTeamBuildError(error)) return;
    expect(error.failures.map((f) => [f.server, f.error.kind, f.error.code])).toEqual([
      ['dead', 'connection', 'ECONNREFUSED'],
    ]);
    expect(error.message).toMatch(/dead \(optional\)/);
  });

  it('skipFailedServers(true): an optional dead server is skipped, the team is degraded, and its tools appear when it comes online', async () => {
    const later = await startHttpFixture();
    await later.kill();
    const model = new ScriptedChatModel([{ content: 'hi' }], { whenExhausted: 'repeatLast' });
    const team = await build(
      builder(model)
        .withMcpServerHttp(later.url.href, { name: 'later', optional: true })
        .withReconnect({ backoffBaseMs: 20, backoffMaxMs: 100, maxRestarts: 1000 })
        .skipFailedServers(true),
    );
    expect(team.state).toBe('degraded');
    expect(team.getMcpServerCount()).toBe(2);
    expect(team.getMcpToolNames().some((n) => n.startsWith('later__'))).toBe(false);
    // build() does not wait for an optional server: its refused first attempt may come after.
    await firstFailure(team, 'later');
    expect(team.getServerStates().later?.lastError?.code).toBe('ECONNREFUSED');
    const ready = firstValueFrom(
      team.events$.pipe(filter((e) => e.type === 'team.state' && e.to === 'ready')),
    );
    await later.restart();
    await ready;
    await expect.poll(() => team.getMcpToolNames()).toContain('later__echo');
    await team.invoke({ messages: [new HumanMessage('x')] });
    expect(model.calls.at(-1)?.toolNames).toContain('later__echo');
  });

  it('a server hanging on connect never delays the others, and its first attempt is bounded by its connect timeout', async () => {
    const hanging = stdioFixture({ faults: ['hang-on-connect'] });
    const team = await build(
      builder()
        .withMcpServer(hanging.command, hanging.args, { name: 'stuck', optional: true, connectTimeout: 0.5 })
        .skipFailedServers(true),
    );
    expect(team.getServerStates().alpha?.state).toBe('ready');
    expect(team.getMcpToolNames()).toContain('beta__echo');
    expect(team.getServerStates().stuck?.available).toBe(false);
    await firstFailure(team, 'stuck');
    expect(team.getServerStates().stuck?.lastError?.kind).toBe('timeout');
  });

  it('skipFailedServers(true) still fails the build when a server not marked optional fails', async () => {
    const error = await builder()
      .withMcpServer('/nonexistent/server', [], { name: 'critical' })
      .skipFailedServers(true)
      .build()
      .catch((e: unknown) => e);
    expect(isTeamBuildError(error) && error.failures[0]).toMatchObject({
      server: 'critical',
      optional: false,
    });
  });

  it('cleanup() closes every server, kills every child, and is idempotent', async () => {
    const team = await build(builder());
    const pids = ['alpha', 'beta'].map((n) => team.getServer(n)?.pid);
    expect(pids.every((p) => typeof p === 'number')).toBe(true);
    await Promise.all([team.cleanup(), team.cleanup()]);
    expect(team.state).toBe('closed');
    for (const pid of pids) expect(processAlive(pid!)).toBe(false);
    await expect(team.invoke({ messages: [new HumanMessage('x')] })).rejects.toMatchObject({
      code: 'CLOSED',
    });
  });
});

describe('MCPTeamBuilder: configuration', () => {
  const fx = stdioFixture();
  const model = () => new ScriptedChatModel([]);

  it('accepts the standard mcpServers JSON', async () => {
    const team = await build(
      new MCPTeamBuilder('json')
        .withLlm(model())
        .withLogger(quietLogger)
        .withMcpServers(JSON.stringify({ mcpServers: { files: { command: fx.command, args: fx.args } } })),
    );
    expect(team.getMcpToolNames()).toContain('files__echo');
  });

  it.each([
    ['no LLM', () => new MCPTeamBuilder('x').withMcpServer(fx.command, fx.args), /withLlm/],
    ['a model without bindTools', () => new MCPTeamBuilder('x').withLlm({} as never), /bindTools/],
    [
      'duplicate server names',
      () =>
        new MCPTeamBuilder('x')
          .withLlm(model())
          .withMcpServer('a', [], { name: 's' })
          .withMcpServer('b', [], { name: 's' }),
      /Duplicate server name "s"/,
    ],
    [
      'an empty command',
      () => new MCPTeamBuilder('x').withLlm(model()).withMcpServer('', [], { name: 'e' }),
      /command/,
    ],
    [
      'a malformed URL',
      () => new MCPTeamBuilder('x').withLlm(model()).withMcpServerHttp('not a url', { name: 'u' }),
      /url/,
    ],
    [
      'malformed mcpServers JSON',
      () => new MCPTeamBuilder('x').withLlm(model()).withMcpServers('{"mcpServers": 5}'),
      /mcpServers/,
    ],
    [
      'a bad server entry',
      () => new MCPTeamBuilder('x').withLlm(model()).withMcpServers({ mcpServers: { s: { args: [] } } }),
      /s/,
    ],
  ])('%s is a ConfigurationError naming the field', async (_label, make, pattern) => {
    const error = await make()
      .build()
      .catch((e: unknown) => e);
    expect(isConfigurationError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(pattern);
  });

  it('reports every problem at once', async () => {
    const error = await new MCPTeamBuilder('x')
      .withMcpServer('', [], { name: 'a' })
      .build()
      .catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/2 configuration problems[\s\S]*withLlm[\s\S]*command/);
  });

  it('an invalid team name is rejected at once', () => {
    expect(() => new MCPTeamBuilder('bad name!')).toThrow(/Team name/);
  });

  it('AIMessage content of the final answer is returned as text', () => {
    expect(finalAnswer([new HumanMessage('q'), new AIMessage('a')])).toBe('a');
  });
});
