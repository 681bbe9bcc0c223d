import { HumanMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { isModelError, type ModelError } from '../../src/errors/ModelError.js';
import { addSecrets } from '../../src/errors/redact.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { openAiChatModel, type ToolCallingChatModel } from '../../src/llm/createChatModel.js';
import { RuleBasedChatModel } from '../../src/llm/RuleBasedChatModel.js';
import { type Clock, systemClock } from '../../src/resilience/Clock.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import { Semaphore } from '../../src/resilience/Semaphore.js';
import { agentLoop, type TeamStep } from '../../src/team/agentLoop.js';
import { closedPort, DUMMY_KEY, OpenAiServer, type OpenAiServerMode } from './openaiServer.js';

const servers: OpenAiServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(mode: OpenAiServerMode): Promise<OpenAiServer> {
  const s = await OpenAiServer.start(mode);
  servers.push(s);
  return s;
}

/** The real ChatOpenAI, from createChatModel's openai branch, pointed at 127.0.0.1 with a dummy key and no retries. */
function openai(baseURL: string, extra: { timeoutMs?: number } = {}): ToolCallingChatModel {
  return openAiChatModel({
    env: { OPENAI_API_KEY: DUMMY_KEY },
    baseURL,
    model: 'gpt-test',
    maxRetries: 0,
    ...extra,
  });
}

const lookup = tool(async ({ q }) => `found ${q}`, {
  name: 'lookup',
  description: 'Looks something up',
  schema: z.object({ q: z.string() }),
});

/** Runs the real agent loop once; returns its steps, the events on the bus, and the error if any. */
async function run(
  model: ToolCallingChatModel,
  options: { clock?: Clock; deadline?: Deadline; maxIterations?: number; secrets?: string[] } = {},
) {
  const clock = options.clock ?? systemClock;
  const deadline = options.deadline ?? Deadline.after(60_000, { clock, step: 'turn' });
  const bus = new EventBus();
  addSecrets(bus, options.secrets ?? []);
  const events: RuntimeEvent[] = [];
  const sub = bus.events$.subscribe((e) => events.push(e));
  const steps: TeamStep[] = [];
  let error: unknown;
  try {
    for await (const step of agentLoop({
      model,
      prompt: 'You are a test agent.',
      messages: [new HumanMessage('look up x')],
      liveTools: async () => ({ tools: [], serverOf: new Map(), capabilities: [] }),
      extraTools: [lookup],
      maxIterations: options.maxIterations ?? 3,
      deadline,
      clock,
      limiterFor: () => new Semaphore(1),
      events: { bus, source: 'team:test' },
    }))
      steps.push(step);
  } catch (e) {
    error = e;
  } finally {
    sub.unsubscribe();
    deadline.dispose();
  }
  return { steps, events, error: error as ModelError | undefined };
}

type ModelCallEvent = Extract<RuntimeEvent, { type: `model.call.${string}` }>;
const modelEvents = (events: RuntimeEvent[]) =>
  events.filter((e): e is ModelCallEvent => e.type.startsWith('model.call.'));

describe('model calls are events (real ChatOpenAI against a local OpenAI-compatible server)', () => {
  it('a tool-calling turn and an answer: started/succeeded per turn with provider, model, turn and token usage', async () => {
    const server = await serve('toolCall');
    const model = openai(server.baseURL);
    const answered = server.requested().then(() => {
      server.mode = 'ok';
    });
    const { steps, events, error } = await run(model);
    await answered;
    expect(error).toBeUndefined();
    expect(steps.map((s) => s.type)).toEqual(['model', 'tool', 'model', 'final']);
    const seen = modelEvents(events);
    expect(seen.map((e) => e.type)).toEqual([
      'model.call.started',
      'model.call.succeeded',
      'model.call.started',
      'model.call.succeeded',
    ]);
    const identity = { source: 'team:test', provider: 'openai', model: 'gpt-test' };
    expect(seen[0]).toMatchObject({ ...identity, turn: 1, tools: 1 });
    expect(seen[1]).toMatchObject({
      ...identity,
      turn: 1,
      callId: seen[0]?.callId,
      toolCalls: 1,
      usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
      durationMs: expect.any(Number),
    });
    expect(seen[3]).toMatchObject({ ...identity, turn: 2, toolCalls: 0 });
    expect(server.requests.map((r) => r.url)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
  });

  it('the offline model is provider "offline" and reports no usage', async () => {
    const { events } = await run(new RuleBasedChatModel());
    const seen = modelEvents(events);
    expect(seen[0]).toMatchObject({ type: 'model.call.started', provider: 'offline', turn: 1 });
    expect(seen[1]).toMatchObject({ type: 'model.call.succeeded', provider: 'offline', usage: undefined });
  });
});

describe('model failures are typed ModelErrors naming the provider (real HTTP failures on 127.0.0.1)', () => {
  const cases: {
    mode: OpenAiServerMode;
    reason: ModelError['reason'];
    code: string;
    retryable: boolean;
    says: RegExp;
  }[] = [
    {
      mode: 'unauthorized',
      reason: 'auth',
      code: 'HTTP_401',
      retryable: false,
      says: /^The openai model "gpt-test" refused the credentials \(HTTP 401: Incorrect API key provided: \*\*\*\)\. Check OPENAI_API_KEY/,
    },
    {
      mode: 'rateLimited',
      reason: 'rateLimit',
      code: 'HTTP_429',
      retryable: true,
      says: /rate limiting or out of quota \(HTTP 429: Rate limit reached for requests\)\. Wait 7 s and retry/,
    },
    {
      mode: 'badRequest',
      reason: 'badRequest',
      code: 'HTTP_400',
      retryable: false,
      says: /refused the request \(HTTP 400: Invalid value for 'model': no-such-model\)\. Check the model name/,
    },
    {
      mode: 'serverError',
      reason: 'unavailable',
      code: 'HTTP_500',
      retryable: true,
      says: /failed on the provider's side \(HTTP 500/,
    },
    {
      mode: 'garbage',
      reason: 'badResponse',
      code: 'MALFORMED_RESPONSE',
      retryable: false,
      says: /sent a response the client could not read: .*not valid JSON\. Check that the base URL \(OPENAI_BASE_URL\)/,
    },
  ];

  for (const c of cases) {
    it(`${c.mode}: reason ${c.reason}, ${c.code}, and a model.call.failed event`, async () => {
      const server = await serve(c.mode);
      const { error, events } = await run(openai(server.baseURL));
      expect(isModelError(error)).toBe(true);
      expect(error).toMatchObject({
        kind: 'model',
        provider: 'openai',
        model: 'gpt-test',
        reason: c.reason,
        code: c.code,
        retryable: c.retryable,
        server: undefined,
      });
      expect(error?.message).toMatch(c.says);
      expect(error?.message).not.toContain(DUMMY_KEY);
      const failed = modelEvents(events).at(-1);
      expect(failed).toMatchObject({
        type: 'model.call.failed',
        provider: 'openai',
        model: 'gpt-test',
        turn: 1,
        error: { kind: 'model', code: c.code, retryable: c.retryable },
      });
      expect(JSON.stringify(events)).not.toContain(DUMMY_KEY);
      expect(server.requests).toHaveLength(1); // maxRetries 0: one request, no hidden retry
    });
  }

  it("a provider's error text goes through the bus's redactor: a registered secret never reaches model.call.failed", async () => {
    const server = await serve('badRequest');
    const { error, events } = await run(openai(server.baseURL), { secrets: ['no-such-model'] });
    // The thrown error is the caller's own; the event is what every subscriber, log and span sees.
    expect(error?.message).toContain('no-such-model');
    const failed = modelEvents(events).at(-1);
    expect(failed).toMatchObject({ type: 'model.call.failed', error: { code: 'HTTP_400' } });
    expect(JSON.stringify(failed)).not.toContain('no-such-model');
  });

  it('429 keeps the retry-after the provider asked for', async () => {
    const server = await serve('rateLimited');
    const { error } = await run(openai(server.baseURL));
    expect(error).toMatchObject({ reason: 'rateLimit', status: 429, retryAfterMs: 7_000 });
  });

  it('a closed port: reason network, ECONNREFUSED, naming the endpoint', async () => {
    const baseURL = `http://127.0.0.1:${await closedPort()}/v1`;
    const { error, events } = await run(openai(baseURL));
    expect(error).toMatchObject({ kind: 'model', reason: 'network', code: 'ECONNREFUSED', retryable: true });
    expect(error?.message).toContain(
      `The openai model "gpt-test" could not be reached at ${baseURL} (ECONNREFUSED).`,
    );
    expect(error?.message).toMatch(/OPENAI_BASE_URL, or run with the offline model/);
    expect(modelEvents(events).at(-1)).toMatchObject({
      type: 'model.call.failed',
      error: { kind: 'model', code: 'ECONNREFUSED' },
    });
  });

  it("a hanging server and the turn's Deadline (simulated clock): reason timeout, code DEADLINE", async () => {
    const server = await serve('hang');
    const clock = new SimulatedClock();
    const deadline = Deadline.after(60_000, { clock, step: 'turn' });
    const running = run(openai(server.baseURL), { clock, deadline });
    await server.requested();
    clock.increment(60_000);
    const { error, events } = await running;
    expect(error).toMatchObject({ kind: 'model', reason: 'timeout', code: 'DEADLINE', retryable: true });
    expect(error?.message).toMatch(
      /^The openai model "gpt-test" had not answered when the budget ran out: Step "turn" ran out of its 60000 ms budget\./,
    );
    expect(modelEvents(events).at(-1)).toMatchObject({
      type: 'model.call.failed',
      durationMs: 60_000,
      error: { kind: 'model', code: 'DEADLINE' },
    });
  });

  it("a hanging server and the client's own request timeout: reason timeout, code TIMEOUT", async () => {
    const server = await serve('hang');
    const { error } = await run(openai(server.baseURL, { timeoutMs: 50 }));
    expect(error).toMatchObject({ kind: 'model', reason: 'timeout', code: 'TIMEOUT', provider: 'openai' });
    expect(error?.message).toMatch(/did not answer within the client's request timeout/);
  });

  it('a caller that aborts is a cancellation, not a model failure, and still a model.call.failed event', async () => {
    const server = await serve('hang');
    const caller = new AbortController();
    const deadline = Deadline.after(60_000, { step: 'turn', signal: caller.signal });
    const running = run(openai(server.baseURL), { deadline });
    await server.requested();
    caller.abort();
    const { error, events } = await running;
    expect(error).toMatchObject({ kind: 'cancelled', code: 'CANCELLED' });
    expect(error?.message).toMatch(/^The call to the openai model "gpt-test" was cancelled by its caller\./);
    expect(modelEvents(events).at(-1)).toMatchObject({
      type: 'model.call.failed',
      error: { kind: 'cancelled' },
    });
  });
});
