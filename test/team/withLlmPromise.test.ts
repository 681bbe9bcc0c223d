import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import { createChatModel } from '../../src/llm/createChatModel.js';
import { RuleBasedChatModel } from '../../src/llm/RuleBasedChatModel.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';

// createChatModel() is asynchronous (it loads LangChain on first use): withLlm takes its promise.
describe('withLlm(promise of a model)', () => {
  it('build() awaits it and the team runs a turn with that model', async () => {
    const team = await new MCPTeamBuilder('promised').withLlm(createChatModel()).build();
    try {
      const { messages } = await team.invoke({ messages: [['human', 'hello']] });
      expect(messages.at(-1)?.type).toBe('ai');
    } finally {
      await team.cleanup();
    }
  });

  it("a rejection is build()'s, each time it is called, and never an unhandled one", async () => {
    const failure = new ConfigurationError('no model today');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const builder = new MCPTeamBuilder('rejected').withLlm(Promise.reject(failure));
      // A turn of the event loop before build(): the rejection is already known, and handled.
      await new Promise((resolve) => setImmediate(resolve));
      await expect(builder.build()).rejects.toBe(failure);
      await expect(builder.build()).rejects.toBe(failure);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a later withLlm(model) replaces a pending one', async () => {
    const model = new RuleBasedChatModel();
    const team = await new MCPTeamBuilder('replaced')
      .withLlm(Promise.reject(new Error('never used')))
      .withLlm(model)
      .build();
    await team.cleanup();
  });
});
