import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { DynamicStructuredTool, tool } from '@langchain/core/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { boundToolsOf } from '../../src/llm/OfflineChatModel.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { runToyLoop } from './toyAgentLoop.js';

const readFile = tool(async ({ path }) => `contents of ${path}`, {
  name: 'fs__read_file',
  description: 'Read the complete contents of a file',
  schema: z.object({ path: z.string().describe('Absolute path') }),
});

const addNumbers = new DynamicStructuredTool({
  name: 'math__add',
  description: 'Add two numbers',
  schema: z.object({ a: z.number(), b: z.number() }),
  func: async ({ a, b }) => String(a + b),
});

describe('ScriptedChatModel', () => {
  it('plays turns in order with tool calls and deterministic ids', async () => {
    const model = new ScriptedChatModel([
      {
        content: 'reading',
        toolCalls: [
          { name: 'fs__read_file', args: { path: '/a' } },
          { name: 'fs__read_file', args: { path: '/b' }, id: 'mine' },
        ],
      },
      { toolCalls: [{ name: 'math__add', args: { a: 1, b: 2 } }] },
      { content: 'done' },
    ]);
    const first = await model.invoke('go');
    expect(first).toBeInstanceOf(AIMessage);
    expect(first.content).toBe('reading');
    expect(first.tool_calls).toEqual([
      { type: 'tool_call', id: 'call_1', name: 'fs__read_file', args: { path: '/a' } },
      { type: 'tool_call', id: 'mine', name: 'fs__read_file', args: { path: '/b' } },
    ]);
    const second = await model.invoke('go on');
    expect(second.tool_calls?.[0]?.id).toBe('call_2');
    const third = await model.invoke('finish');
    expect(third.content).toBe('done');
    expect(third.tool_calls).toEqual([]);
    expect(model.position).toBe(3);
    expect(model.remaining).toBe(0);
  });

  it('drives a real agent loop: function turns see the ToolMessages of the previous turn', async () => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'fs__read_file', args: { path: '/tmp/a' } }] },
      (messages) => {
        const last = messages.at(-1);
        expect(ToolMessage.isInstance(last)).toBe(true);
        return { toolCalls: [{ name: 'math__add', args: { a: 2, b: String(last?.content).length } }] };
      },
      (messages) => new AIMessage(`total: ${String(messages.at(-1)?.content)}`),
    ]);
    const { answer, messages, turns } = await runToyLoop(
      model.bindTools([readFile, addNumbers]),
      [readFile, addNumbers],
      'read and add',
    );
    expect(turns).toBe(3);
    expect(answer).toBe(`total: ${2 + 'contents of /tmp/a'.length}`);
    const toolMessages = messages.filter((m) => ToolMessage.isInstance(m));
    expect(toolMessages.map((m) => (m as ToolMessage).tool_call_id)).toEqual(['call_1', 'call_2']);
  });

  it('fills missing ids in AIMessages returned by function turns', async () => {
    const model = new ScriptedChatModel([
      () =>
        new AIMessage({
          content: '',
          tool_calls: [
            { name: 'x', args: {} },
            { name: 'y', args: {}, id: 'kept' },
          ],
        }),
    ]);
    const reply = await model.invoke('go');
    expect(reply.tool_calls?.map((c) => c.id)).toEqual(['call_1', 'kept']);
  });

  it('records what each call saw: messages, system prompt, offered tools and tool_choice', async () => {
    const model = new ScriptedChatModel([{ content: 'a' }, { content: 'b' }]);
    await model
      .bindTools([readFile], { tool_choice: 'auto' })
      .invoke([new SystemMessage('You are the reader.'), new HumanMessage('hi')]);
    await model.invoke('plain');
    expect(model.calls).toHaveLength(2);
    const [first, second] = model.calls;
    expect(first?.systemPrompt).toBe('You are the reader.');
    expect(first?.toolNames).toEqual(['fs__read_file']);
    expect(first?.toolChoice).toBe('auto');
    expect(first?.messages.map((m) => m.getType())).toEqual(['system', 'human']);
    expect(second?.toolNames).toEqual([]);
    expect(second?.systemPrompt).toBeUndefined();
    expect(model.lastCall).toBe(second);
  });

  it('binds LangChain tools, JSON-schema tools and OpenAI tool definitions, schemas visible', async () => {
    const seen: string[][] = [];
    const model = new ScriptedChatModel([
      (_messages, tools) => {
        seen.push(
          tools.map((t) => `${t.name}|${t.description}|${Object.keys(t.schema.properties ?? {}).join(',')}`),
        );
        return { content: 'ok' };
      },
    ]);
    const bound = model.bindTools([
      readFile,
      addNumbers,
      {
        name: 'mem__search',
        description: 'Search memory',
        schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
      },
      {
        type: 'function',
        function: {
          name: 'web__fetch',
          description: 'Fetch a URL',
          parameters: { type: 'object', properties: { url: { type: 'string' } } },
        },
      },
      {
        name: 'mcp__echo',
        description: 'Echo',
        inputSchema: { type: 'object', properties: { message: {} } },
      },
    ]);
    await bound.invoke('go');
    expect(seen[0]).toEqual([
      'fs__read_file|Read the complete contents of a file|path',
      'math__add|Add two numbers|a,b',
      'mem__search|Search memory|query',
      'web__fetch|Fetch a URL|url',
      'mcp__echo|Echo|message',
    ]);
    expect(model.calls[0]?.tools[0]?.schema.required).toEqual(['path']);
    expect(boundToolsOf(bound).map((t) => t.name)).toHaveLength(5);
  });

  it('rejects a tool without a name with a clear message', () => {
    const model = new ScriptedChatModel([]);
    expect(() => model.bindTools([{ description: 'nameless' }])).toThrow(/tool #0 has no name/);
  });

  it('shares script position and records across bindTools runnables', async () => {
    const model = new ScriptedChatModel([{ content: 'one' }, { content: 'two' }]);
    const a = model.bindTools([readFile]);
    const b = model.bindTools([addNumbers]);
    expect((await a.invoke('x')).content).toBe('one');
    expect((await b.invoke('x')).content).toBe('two');
    expect(model.calls.map((c) => c.toolNames)).toEqual([['fs__read_file'], ['math__add']]);
  });

  it('throws a ConfigurationError when the script runs out (default)', async () => {
    const model = new ScriptedChatModel([{ content: 'only' }]);
    await model.invoke('1');
    const error: unknown = await model.invoke('2').catch((e: unknown) => e);
    expect(isConfigurationError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'SCRIPT_EXHAUSTED' });
    expect(String(error)).toMatch(/no turn 2: its script has 1 turn/);
  });

  it('repeats the last turn with fresh ids, or answers a final text, when configured', async () => {
    const repeat = new ScriptedChatModel([{ toolCalls: [{ name: 'x', args: {}, id: 'fixed' }] }], {
      whenExhausted: 'repeatLast',
    });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await repeat.invoke('go')).tool_calls?.[0]?.id);
    expect(ids).toEqual(['fixed', 'call_1', 'call_2']);

    const final = new ScriptedChatModel([], { whenExhausted: { answer: 'nothing more to do' } });
    expect((await final.invoke('go')).content).toBe('nothing more to do');
    expect((await final.invoke('again')).content).toBe('nothing more to do');
  });

  it('append() extends the script and reset() starts over', async () => {
    const model = new ScriptedChatModel([{ toolCalls: [{ name: 'x', args: {} }] }]);
    await model.invoke('a');
    model.append({ content: 'appended' });
    expect((await model.invoke('b')).content).toBe('appended');
    model.reset();
    expect(model.calls).toEqual([]);
    expect((await model.invoke('c')).tool_calls?.[0]?.id).toBe('call_1');
  });

  it('honours an aborted signal before playing a turn', async () => {
    const model = new ScriptedChatModel([{ content: 'never' }]);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(model.invoke('go', { signal: controller.signal })).rejects.toThrow();
    expect(model.position).toBe(0);
  });

  it('works through stream() as a single chunk', async () => {
    const model = new ScriptedChatModel([{ content: 'streamed' }]);
    const chunks = [];
    for await (const chunk of await model.stream('go')) chunks.push(chunk.content);
    expect(chunks).toEqual(['streamed']);
  });
});
