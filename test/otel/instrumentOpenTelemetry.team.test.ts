import { SpanKind } from '@opentelemetry/api';
import { afterAll, expect, it } from 'vitest';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { instrumentOpenTelemetry } from '../../src/otel/index.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';
import { createOtelKit } from './otelKit.js';

const otel = createOtelKit();
afterAll(async () => {
  await stopAllFixtures();
  await otel.shutdown();
});

it('a team turn is an invoke_agent span; its tool calls nest under it', async () => {
  const fx = stdioFixture();
  const model = new ScriptedChatModel([
    { toolCalls: [{ name: 'alpha__echo', args: { text: 'hi' } }] },
    { content: 'done' },
  ]);
  const team = await new MCPTeamBuilder('ops')
    .withLlm(model)
    .withLogger(quietLogger)
    .withMcpServer(fx.command, fx.args, { name: 'alpha' })
    .build();
  const instrumentation = instrumentOpenTelemetry(team, { tracer: otel.tracer, meter: otel.meter });
  try {
    await otel.tracer.startActiveSpan('request', async (request) => {
      await team.invoke({ messages: [{ role: 'user', content: 'echo hi' }] });
      request.end();
    });
  } finally {
    await team.cleanup();
    instrumentation.stop();
  }
  const [request] = otel.finished('request');
  const [turn] = otel.finished('invoke_agent ops');
  const [call] = otel.finished('tools/call echo');
  expect(turn?.kind).toBe(SpanKind.INTERNAL);
  expect(turn?.attributes).toMatchObject({
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': 'ops',
  });
  expect(turn?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
  expect(call?.parentSpanContext?.spanId).toBe(turn?.spanContext().spanId);
  expect(call?.attributes).toMatchObject({ 'azcore.server.name': 'alpha', 'network.transport': 'pipe' });
});
