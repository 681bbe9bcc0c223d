// A turn's signal is listened to by every call in flight: a batch of more than ten calls is
// the normal case, and must not make Node warn about a listener leak.
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const teams: MCPTeam[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
});
afterAll(stopAllFixtures);

describe('a batch of tool calls in one turn', () => {
  it('sixteen calls at once on one server: all answer, and no MaxListenersExceededWarning', async () => {
    const fx = stdioFixture();
    const calls = Array.from({ length: 16 }, (_, i) => ({ name: 'fx__echo', args: { text: `e${i}` } }));
    const model = new ScriptedChatModel([{ toolCalls: calls }, { content: 'done' }]);
    const team = await new MCPTeamBuilder('batch')
      .withLlm(model)
      .withLogger(quietLogger)
      .withMaxConcurrentCallsPerServer(16)
      .withMcpServer(fx.command, fx.args, { name: 'fx' })
      .build();
    teams.push(team);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { messages } = await team.invoke({ messages: [new HumanMessage('go')] });
      const results = messages.filter((m): m is ToolMessage => m instanceof ToolMessage);
      expect(results.map((m) => m.status)).toEqual(Array(16).fill('success'));
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
