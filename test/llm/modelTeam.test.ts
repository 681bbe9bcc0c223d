import { HumanMessage } from '@langchain/core/messages';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isModelError } from '../../src/errors/ModelError.js';
import { createChatModel } from '../../src/llm/createChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';
import { DUMMY_KEY, OpenAiServer } from './openaiServer.js';

const teams: MCPTeam[] = [];
const servers: OpenAiServer[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
  for (const s of servers.splice(0)) await s.close();
});
afterAll(stopAllFixtures);

/** A team over our stdio MCP fixture whose model is the real ChatOpenAI, talking to 127.0.0.1. */
async function teamWithOpenAi() {
  const openai = await OpenAiServer.start('unauthorized');
  servers.push(openai);
  const fx = stdioFixture();
  const model = createChatModel({
    provider: 'openai',
    env: { OPENAI_API_KEY: DUMMY_KEY },
    baseURL: openai.baseURL,
    model: 'gpt-test',
    maxRetries: 0,
  });
  const team = await new MCPTeamBuilder('modeled')
    .withLlm(model)
    .withLogger(quietLogger)
    .withMcpServer(fx.command, fx.args, { name: 'files' })
    .build();
  teams.push(team);
  return { team, openai };
}

describe("a model failure is the team run's outcome, naming the provider", () => {
  it('team.invoke rejects with the ModelError; the team stays ready', async () => {
    const { team, openai } = await teamWithOpenAi();
    const error = await team.invoke({ messages: [new HumanMessage('echo hi')] }).catch((e: unknown) => e);
    expect(isModelError(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'model', provider: 'openai', model: 'gpt-test', reason: 'auth' });
    expect(openai.requests).toHaveLength(1);
    expect(team.state).toBe('ready');
  }, 30_000);

  it('team.run: failed, error kind model, the message names provider and model', async () => {
    const { team } = await teamWithOpenAi();
    const outcome = await team.run('echo hi');
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ kind: 'model', provider: 'openai', model: 'gpt-test' });
    expect(outcome.attempts).toHaveLength(1);
    expect(outcome.error?.message).toMatch(/^The openai model "gpt-test" refused the credentials \(HTTP 401/);
  }, 30_000);
});
