// team.invoke(input, RunnableConfig): LangChain callbacks see the turn, the model and the tools;
// `configurable` reaches every tool; `signal` cancels.
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { HumanMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { finalAnswer, type MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const teams: MCPTeam[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
});
afterAll(stopAllFixtures);

const whoami = tool(async (_input, config) => `user ${String(config?.configurable?.userId)}`, {
  name: 'whoami',
  description: 'The caller',
  schema: z.object({}),
});

async function build(model: ScriptedChatModel) {
  const fx = stdioFixture();
  const team = await new MCPTeamBuilder('cfg')
    .withLlm(model)
    .withLogger(quietLogger)
    .withTools([whoami])
    .withMcpServer(fx.command, fx.args, { name: 'alpha' })
    .build();
  teams.push(team);
  return team;
}

describe('team.invoke with a LangChain RunnableConfig', () => {
  it('callbacks see a chain run with the model and tool runs inside; configurable reaches the tools', async () => {
    const model = new ScriptedChatModel([
      {
        toolCalls: [
          { name: 'alpha__echo', args: { text: 'hi' } },
          { name: 'whoami', args: {} },
        ],
      },
      (messages) => ({
        content: `${String(messages.at(-2)?.content)} / ${String(messages.at(-1)?.content)}`,
      }),
    ]);
    const team = await build(model);
    const runs: { kind: string; name: string; runId: string; parent: string | undefined }[] = [];
    const handler = BaseCallbackHandler.fromMethods({
      handleChainStart: (_c, _i, runId, parent, _t, _m, _rt, name) =>
        void runs.push({ kind: 'chain', name: String(name), runId, parent }),
      handleChatModelStart: (_l, _m, runId, parent) =>
        void runs.push({ kind: 'model', name: 'model', runId, parent }),
      handleToolStart: (_t, _i, runId, parent, _tags, _meta, name) =>
        void runs.push({ kind: 'tool', name: String(name), runId, parent }),
    });
    const ends: string[] = [];
    const endHandler = BaseCallbackHandler.fromMethods({
      handleToolEnd: (output) => void ends.push(String((output as { content?: unknown }).content ?? output)),
    });
    const { messages } = await team.invoke(
      { messages: [new HumanMessage('echo and who')] },
      { callbacks: [handler, endHandler], configurable: { userId: 'u-42' }, runName: 'my-team' },
    );
    await awaitAllCallbacks();
    expect(finalAnswer(messages)).toBe('hi / user u-42');
    const chain = runs.find((r) => r.kind === 'chain');
    expect(chain).toMatchObject({ name: 'my-team', parent: undefined });
    expect(runs.filter((r) => r.kind === 'model')).toHaveLength(2);
    expect(
      runs
        .filter((r) => r.kind === 'tool')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['alpha__echo', 'whoami']);
    expect(runs.filter((r) => r.kind !== 'chain').every((r) => r.parent === chain?.runId)).toBe(true);
    expect(ends.sort()).toEqual(['hi', 'user u-42']);
  });

  it('signal cancels the turn and the MCP call in flight', async () => {
    const model = new ScriptedChatModel([{ toolCalls: [{ name: 'alpha__slow', args: { ms: 30_000 } }] }], {
      whenExhausted: 'repeatLast',
    });
    const team = await build(model);
    const controller = new AbortController();
    // Cancel once the MCP call is on its way, not after a guessed delay.
    const sub = team.events$.subscribe((e) => {
      if (e.type === 'call.started' && e.tool === 'slow') controller.abort();
    });
    const started = performance.now();
    await expect(
      team.invoke({ messages: [new HumanMessage('slow')] }, { signal: controller.signal }),
    ).rejects.toMatchObject({ kind: 'cancelled' });
    sub.unsubscribe();
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
