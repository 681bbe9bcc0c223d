import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RuleBasedChatModel } from '../../src/llm/RuleBasedChatModel.js';
import { runToyLoop } from './toyAgentLoop.js';

const readFile = tool(async ({ path }) => `hello from ${path}`, {
  name: 'fs__read_file',
  description: 'Read the complete contents of a file from disk',
  schema: z.object({ path: z.string() }),
});
const writeFile = tool(async ({ content }) => `wrote ${content.length} bytes`, {
  name: 'fs__write_file',
  description: 'Create or overwrite a file with new content',
  schema: z.object({ path: z.string(), content: z.string() }),
});
const getWeather = tool(async ({ city, units }) => `Sunny in ${city} (${units})`, {
  name: 'weather__getForecast',
  description: 'Weather forecast for a city',
  schema: z.object({
    city: z.string(),
    units: z.enum(['metric', 'imperial']),
    days: z.number().int().min(1),
  }),
});
const currentTime = tool(async () => '12:00', {
  name: 'clock__current_time',
  description: 'The current time',
  schema: z.object({ timezone: z.string().optional() }),
});
const failing = tool(
  async () => {
    throw new Error('disk on fire');
  },
  {
    name: 'disk__check_health',
    description: 'Check disk health',
    schema: z.object({ verbose: z.boolean() }),
  },
);
const tools = [readFile, writeFile, getWeather, currentTime, failing];

function agent(options: ConstructorParameters<typeof RuleBasedChatModel>[0] = {}) {
  const model = new RuleBasedChatModel(options);
  return { model, bound: model.bindTools(tools) };
}

describe('RuleBasedChatModel: picking tools', () => {
  it('picks the right tool among several by name and builds the args from the task', async () => {
    const { bound } = agent();
    const reply = await bound.invoke([new HumanMessage('Please read the file /tmp/notes.txt.')]);
    expect(reply.tool_calls).toEqual([
      { type: 'tool_call', id: 'call_1', name: 'fs__read_file', args: { path: '/tmp/notes.txt' } },
    ]);
  });

  it('matches camelCase names and descriptions; enums take their first value, numbers come from the task', async () => {
    const { bound } = agent();
    const reply = await bound.invoke([new HumanMessage('What is the forecast for "Paris" over 5 days?')]);
    expect(reply.tool_calls?.map((c) => [c.name, c.args])).toEqual([
      ['weather__getForecast', { city: 'Paris', units: 'metric', days: 5 }],
    ]);
  });

  it('calls several tools in one turn when the task asks for several things', async () => {
    const { bound } = agent();
    const reply = await bound.invoke([
      new HumanMessage('Give me the weather forecast for "Oslo" and the current time'),
    ]);
    expect(reply.tool_calls?.map((c) => c.name)).toEqual(['weather__getForecast', 'clock__current_time']);
    expect(reply.tool_calls?.map((c) => c.id)).toEqual(['call_1', 'call_2']);
    expect(reply.tool_calls?.[1]?.args).toEqual({});
  });

  it('does not add a tool that only shares words with a better match', async () => {
    const { bound } = agent();
    const reply = await bound.invoke([new HumanMessage('read file /etc/hosts')]);
    expect(reply.tool_calls?.map((c) => c.name)).toEqual(['fs__read_file']);
  });

  it('answers that it has no suitable tool and lists its capabilities', async () => {
    const { bound } = agent();
    const reply = await bound.invoke([new HumanMessage('bake a chocolate cake')]);
    expect(reply.tool_calls).toEqual([]);
    expect(reply.content).toContain('I have no suitable tool for "bake a chocolate cake"');
    expect(reply.content).toContain('- fs__read_file: Read the complete contents of a file from disk');
    expect(reply.content).toContain('- clock__current_time: The current time');
  });

  it('says it has no tools when none are bound', async () => {
    const reply = await new RuleBasedChatModel().invoke('read /tmp/a');
    expect(reply.content).toMatch(/^I have no tools/);
  });

  it('uses the latest human message as the task and ignores the system prompt for picking', async () => {
    const { bound, model } = agent();
    const reply = await bound.invoke([
      new SystemMessage('You can read files and check the weather.'),
      new HumanMessage('what time is it now?'),
    ]);
    expect(reply.tool_calls?.map((c) => c.name)).toEqual(['clock__current_time']);
    expect(model.lastCall?.systemPrompt).toBe('You can read files and check the weather.');
  });
});

describe('RuleBasedChatModel: ReAct loop', () => {
  it('runs tools, then summarizes every output and every failure', async () => {
    const { bound } = agent();
    const { answer, turns } = await runToyLoop(bound, tools, 'read /tmp/a.txt and check disk health');
    expect(turns).toBe(2);
    expect(answer).toContain('fs__read_file {"path":"/tmp/a.txt"}: hello from /tmp/a.txt');
    expect(answer).toContain('disk__check_health {"verbose":false}: FAILED: Error: disk on fire');
    expect(answer).toContain('1 of 2 tool calls failed.');
  });

  it('treats ToolMessages whose text starts with Error as failures, even without status', async () => {
    const { bound } = agent();
    const messages = [
      new HumanMessage('what time is it'),
      new AIMessage({ content: '', tool_calls: [{ id: 't1', name: 'clock__current_time', args: {} }] }),
      new ToolMessage({ content: 'MCP error -32001: Request timed out', tool_call_id: 't1' }),
    ];
    const reply = await bound.invoke(messages);
    expect(reply.content).toContain('clock__current_time {}: FAILED: MCP error -32001: Request timed out');
  });

  it('executes use: plan lines in order, one per turn, with explicit or schema-built args', async () => {
    const { bound, model } = agent();
    const task = [
      'Save a note then read it back.',
      'use: fs__write_file {"path":"/tmp/n.txt","content":"hi"}',
      '- use: fs__read_file {"path":"/tmp/n.txt"}',
      'use: clock__current_time',
    ].join('\n');
    const { answer, turns, messages } = await runToyLoop(bound, tools, task);
    expect(turns).toBe(4);
    const calls = messages.flatMap((m) => (AIMessage.isInstance(m) ? (m.tool_calls ?? []) : []));
    expect(calls.map((c) => [c.name, c.args])).toEqual([
      ['fs__write_file', { path: '/tmp/n.txt', content: 'hi' }],
      ['fs__read_file', { path: '/tmp/n.txt' }],
      ['clock__current_time', {}],
    ]);
    expect(answer).toContain('fs__write_file {"content":"hi","path":"/tmp/n.txt"}: wrote 2 bytes');
    expect(answer).toContain('All 3 tool calls succeeded.');
    expect(model.calls).toHaveLength(4);
  });

  it('reports plan steps whose tool is not bound and lines it cannot read', async () => {
    const { bound } = agent();
    const task = 'use: ghost__tool {}\nuse: fs__read_file {not json}\nuse: clock__current_time {}';
    const { answer } = await runToyLoop(bound, tools, task);
    expect(answer).toContain('clock__current_time {}: 12:00');
    expect(answer).toContain('- ghost__tool: not run, it is not among my tools right now.');
    expect(answer).toMatch(/"use: fs__read_file \{not json\}": not run, arguments are not valid JSON/);
  });

  it('never repeats an identical call, even when the plan or a later task asks again', async () => {
    const { bound } = agent();
    const plan =
      'use: fs__read_file {"path":"/a"}\nuse: fs__read_file {"path":"/a"}\nuse: fs__read_file {"path":"/b"}';
    const first = await runToyLoop(bound, tools, plan);
    const calls = first.messages.flatMap((m) => (AIMessage.isInstance(m) ? (m.tool_calls ?? []) : []));
    expect(calls.map((c) => c.args.path)).toEqual(['/a', '/b']);

    const again = await runToyLoop(bound, tools, [
      ...first.messages,
      new HumanMessage('use: fs__read_file {"path":"/a"}'),
    ]);
    expect(again.turns).toBe(1);
    expect(again.answer).toContain('fs__read_file {"path":"/a"}: hello from /a');
  });

  it('stops at maxToolCalls and says what it did not run', async () => {
    const { bound } = agent({ maxToolCalls: 2 });
    const plan =
      'use: fs__read_file {"path":"/1"}\nuse: fs__read_file {"path":"/2"}\nuse: fs__read_file {"path":"/3"}';
    const { answer, messages } = await runToyLoop(bound, tools, plan);
    expect(messages.filter((m) => ToolMessage.isInstance(m))).toHaveLength(2);
    expect(answer).toContain('Stopped at the limit of 2 tool calls; not run: fs__read_file.');
  });

  it('toolCallsPerTurn batches plan steps', async () => {
    const { bound } = agent({ toolCallsPerTurn: 2 });
    const plan =
      'use: fs__read_file {"path":"/1"}\nuse: fs__read_file {"path":"/2"}\nuse: clock__current_time';
    const reply = await bound.invoke([new HumanMessage(plan)]);
    expect(reply.tool_calls?.map((c) => c.args)).toEqual([{ path: '/1' }, { path: '/2' }]);
  });

  it("honours tool_choice 'none' by answering without calling tools", async () => {
    const model = new RuleBasedChatModel();
    const reply = await model.bindTools(tools, { tool_choice: 'none' }).invoke('read /tmp/a');
    expect(reply.tool_calls).toEqual([]);
  });

  it('is deterministic: same conversation, same replies, across instances and runs', async () => {
    const task = 'read /tmp/x and tell me the weather in "Rome"';
    const runs = await Promise.all([1, 2, 3].map(() => runToyLoop(agent().bound, tools, task)));
    const shapes = runs.map((r) =>
      JSON.stringify(r.messages.map((m) => [m.getType(), m.content, (m as AIMessage).tool_calls])),
    );
    expect(new Set(shapes).size).toBe(1);
    const { bound } = agent();
    const input = [new HumanMessage(task)];
    expect(await bound.invoke(input)).toEqual(await bound.invoke(input));
  });

  it('keeps generated ids unique against ids already in the conversation', async () => {
    const { bound } = agent();
    const reply = await bound.invoke([
      new HumanMessage('what time is it'),
      new AIMessage({
        content: '',
        tool_calls: [{ id: 'call_2', name: 'fs__read_file', args: { path: '/z' } }],
      }),
      new ToolMessage({ content: 'z', tool_call_id: 'call_2' }),
      new HumanMessage('read /tmp/q and tell me the current time'),
    ]);
    expect(reply.tool_calls?.map((c) => c.id)).toEqual(['call_3', 'call_4']);
  });

  it('rejects nonsensical limits', () => {
    expect(() => new RuleBasedChatModel({ maxToolCalls: 0 })).toThrow(
      /maxToolCalls must be a positive integer/,
    );
  });
});
