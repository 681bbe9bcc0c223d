import { HumanMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { describe, expect, it } from 'vitest';
import { createChatModel } from '../../src/llm/createChatModel.js';
import { RuleBasedChatModel } from '../../src/llm/RuleBasedChatModel.js';

describe('createChatModel', () => {
  it('is offline by default, even with an exported OPENAI_API_KEY (no silent switch to the network)', async () => {
    expect(await createChatModel({ env: { OPENAI_API_KEY: 'sk-exported' } })).toBeInstanceOf(
      RuleBasedChatModel,
    );
  });

  it("provider 'openai' without OPENAI_API_KEY is a ConfigurationError naming the variable", async () => {
    await expect(createChatModel({ provider: 'openai', env: { OPENAI_API_KEY: '  ' } })).rejects.toThrow(
      expect.objectContaining({ kind: 'configuration', message: expect.stringMatching(/OPENAI_API_KEY/) }),
    );
  });

  it('returns the offline rule-based model', async () => {
    const model = await createChatModel({ env: { OPENAI_API_KEY: '  ' }, offline: { maxToolCalls: 1 } });
    expect(model).toBeInstanceOf(RuleBasedChatModel);
    expect((model as RuleBasedChatModel).policy.maxToolCalls).toBe(1);
    const bound = model.bindTools([
      { name: 'clock__now', description: 'Current time', schema: { type: 'object', properties: {} } },
    ]);
    const reply = await bound.invoke([new HumanMessage('what is the current time?')]);
    expect((reply as { tool_calls?: { name: string }[] }).tool_calls?.map((c) => c.name)).toEqual([
      'clock__now',
    ]);
  });

  it('builds ChatOpenAI with key, model, temperature and base URL from env, without any request', async () => {
    const model = await createChatModel({
      provider: 'openai',
      env: {
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
        OPENAI_MODEL: 'local-model',
      },
      temperature: 0,
    });
    expect(model).toBeInstanceOf(ChatOpenAI);
    const openai = model as ChatOpenAI;
    expect(openai.model).toBe('local-model');
    expect(openai.temperature).toBe(0);
    expect(openai.clientConfig.baseURL).toBe('http://127.0.0.1:9/v1');
    expect(openai.clientConfig.apiKey).toBe('sk-test');
    expect(
      await createChatModel({ provider: 'openai', env: { OPENAI_API_KEY: 'k' }, model: 'explicit' }),
    ).toMatchObject({
      model: 'explicit',
    });
  });

  it('defaults to gpt-4o-mini', async () => {
    const model = (await createChatModel({ provider: 'openai', env: { OPENAI_API_KEY: 'k' } })) as ChatOpenAI;
    expect(model.model).toBe('gpt-4o-mini');
  });
});
