import { ToolMessage } from '@langchain/core/messages';
import { DynamicStructuredTool, ToolInputParsingException } from '@langchain/core/tools';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import type { CallToolResult, Tool } from '@modelcontextprotocol/server';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import {
  createMcpTool,
  isMcpToolArtifact,
  type McpToolArtifact,
  type McpToolServer,
} from '../../src/team/createMcpTool.js';
import { capText, DEFAULT_MAX_RESULT_CHARS, formatToolResult } from '../../src/team/formatToolResult.js';
import { qualifiedToolName } from '../../src/team/toolNames.js';
import { compileInputSchema, validateArguments } from '../../src/team/validateArguments.js';
import { quietLogger, record } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(stopAllFixtures);

/** A started connection to the stdio fixture, its tools, and a recorder of its events. */
async function fixture(name = 'fx') {
  const conn = new ServerConnection({
    config: { name, transport: 'stdio', ...stdioFixture(), connectTimeoutMs: 5_000 },
    logger: quietLogger,
  });
  open.push(conn);
  await conn.start();
  const tools = await conn.listTools();
  const rec = record(conn);
  const make = (tool: string, options: { timeoutMs?: number; maxResultChars?: number } = {}) => {
    const definition = tools.find((t) => t.name === tool);
    if (!definition) throw new Error(`fixture has no tool ${tool}`);
    return createMcpTool(conn, definition, { name: qualifiedToolName(name, tool, new Set()), ...options });
  };
  return { conn, rec, make };
}

const call = (name: string, args: Record<string, unknown>, id = 'call_1') =>
  ({ id, name, args, type: 'tool_call' }) as const;

function artifactOf(message: ToolMessage): McpToolArtifact {
  expect(isMcpToolArtifact(message.artifact)).toBe(true);
  return message.artifact as McpToolArtifact;
}

describe('createMcpTool with the stdio fixture server', () => {
  it('invoked with arguments, returns the result text', async () => {
    const { make } = await fixture();
    const add = make('add');
    expect(add.name).toBe('fx__add');
    expect(add.description).toBe('[fx] Adds two numbers');
    expect(await add.invoke({ a: 2, b: 3 })).toBe('5');
  });

  it('invoked with a ToolCall, returns a success ToolMessage with the artifact', async () => {
    const { make } = await fixture();
    const echo = make('echo');
    const message = await echo.invoke(call('fx__echo', { text: 'hi' }, 'call_7'));
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message).toMatchObject({
      content: 'hi',
      status: 'success',
      tool_call_id: 'call_7',
      name: 'fx__echo',
    });
    const artifact = artifactOf(message);
    expect(artifact).toMatchObject({ server: 'fx', tool: 'echo', isError: false });
    expect(artifact.error).toBeUndefined();
    expect(artifact.result?.content).toEqual([{ type: 'text', text: 'hi' }]);
  });

  it('a ToolCall in the config (as LangGraph ToolNode passes it) also gives a ToolMessage', async () => {
    const { make } = await fixture();
    const message = await make('add').invoke(
      { a: 1, b: 1 },
      { toolCall: { id: 'call_cfg', name: 'fx__add', args: { a: 1, b: 1 } } },
    );
    expect(message).toMatchObject({ content: '2', status: 'success', tool_call_id: 'call_cfg' });
  });

  it('bad arguments: an error ToolMessage naming server, tool and each problem, and no request sent', async () => {
    const { make, rec } = await fixture();
    const add = make('add');
    const message = await add.invoke(call('fx__add', { a: 'one' }));
    expect(message.status).toBe('error');
    expect(message.content).toBe(
      'Error [input/INVALID_INPUT]: [fx] add: "b" is required; "a" must be a number. ' +
        "Fix the arguments to match the tool's input schema and call it again.",
    );
    expect(artifactOf(message)).toMatchObject({
      server: 'fx',
      tool: 'add',
      isError: true,
      error: { kind: 'input', code: 'INVALID_INPUT', retryable: false },
    });
    // Without a ToolCall the same failure is plain text, still no exception.
    expect(await add.invoke({ a: 1, b: 'two' })).toMatch(
      /^Error \[input\/INVALID_INPUT\]: \[fx\] add: "b" must be a number/,
    );
    expect(await add.invoke('1 + 2' as never)).toMatch(/the arguments must be a JSON object/);
    expect(rec.ofType('call.started')).toHaveLength(0);
  });

  it('an isError result: error ToolMessage with the tool text, kind tool in the artifact', async () => {
    const { make } = await fixture();
    const message = await make('fail').invoke(call('fx__fail', { message: 'disk full' }));
    expect(message).toMatchObject({ status: 'error', content: 'Error: disk full' });
    expect(artifactOf(message)).toMatchObject({
      isError: true,
      error: { kind: 'tool', code: 'TOOL_ERROR', retryable: false },
      result: { isError: true },
    });
    expect(artifactOf(message).error?.message).toContain('disk full');
  });

  it('a hanging tool past timeoutMs: timeout text, not an exception', async () => {
    const { make, rec } = await fixture();
    const hang = make('hang', { timeoutMs: 200 });
    const message = await hang.invoke(call('fx__hang', {}));
    expect(message.status).toBe('error');
    expect(message.content).toMatch(/^Error \[timeout\/TIMEOUT\]: \[fx\] .*200 ms/);
    expect(artifactOf(message).error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(rec.ofType('call.started')).toHaveLength(1);
    expect(await hang.invoke({})).toMatch(/^Error \[timeout\/TIMEOUT\]/);
  });

  it('config.signal aborts the call: cancelled text; an already aborted signal sends nothing', async () => {
    const { make, rec, conn } = await fixture();
    const hang = make('hang');
    const controller = new AbortController();
    conn.events$.subscribe((e) => e.type === 'call.started' && controller.abort());
    const message = await hang.invoke(call('fx__hang', {}), { signal: controller.signal });
    expect(message.status).toBe('error');
    expect(message.content).toMatch(/^Error \[cancelled\/CANCELLED\]: \[fx\] /);
    expect(artifactOf(message).error?.kind).toBe('cancelled');
    expect(rec.ofType('call.started')).toHaveLength(1);

    const again = await hang.invoke(call('fx__hang', {}, 'call_2'), { signal: controller.signal });
    expect(again).toMatchObject({ status: 'error', tool_call_id: 'call_2' });
    expect(again.content).toMatch(/^Error \[cancelled\//);
    expect(rec.ofType('call.started')).toHaveLength(1);
  });

  it('configurable.deadline caps the call below the tool timeout', async () => {
    const { make } = await fixture();
    const hang = make('hang', { timeoutMs: 30_000 });
    const turn = Deadline.after(250, { step: 'turn' });
    const started = Date.now();
    const message = await hang.invoke(call('fx__hang', {}), { configurable: { deadline: turn } });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(message.status).toBe('error');
    expect(message.content).toMatch(/^Error \[timeout\/TIMEOUT\]: .*ran out of its/);
    // A spent deadline: nothing is sent.
    const late = await make('echo').invoke(call('fx__echo', { text: 'x' }), {
      configurable: { deadline: turn },
    });
    expect(late).toMatchObject({ status: 'error' });
    expect(late.content).toMatch(/^Error \[timeout\/TIMEOUT\]/);
  });

  it('parallel ToolCalls on one tool each get their own ToolMessage', async () => {
    const { make } = await fixture();
    const add = make('add');
    const [one, two] = await Promise.all([
      add.invoke(call('fx__add', { a: 1, b: 1 }, 'c1')),
      add.invoke(call('fx__add', { a: 2, b: 2 }, 'c2')),
    ]);
    expect(one).toMatchObject({ tool_call_id: 'c1', content: '2' });
    expect(two).toMatchObject({ tool_call_id: 'c2', content: '4' });
  });

  it('long results are capped with a note', async () => {
    const { make } = await fixture();
    const text = await make('big', { maxResultChars: 1_000 }).invoke({ bytes: 50_000 });
    expect(text.length).toBeLessThanOrEqual(1_000);
    expect(text.length).toBeGreaterThan(990);
    expect(text).toMatch(/\[truncated: showing \d+ of 50000 characters\]$/);
  });

  it('bindTools sends the MCP inputSchema verbatim', async () => {
    const { make, conn } = await fixture();
    const add = make('add');
    const mcpSchema = (await conn.listTools()).find((t) => t.name === 'add')?.inputSchema;
    const openAi = convertToOpenAITool(add);
    expect(openAi.function.name).toBe('fx__add');
    expect(openAi.function.parameters).toBe(mcpSchema);
  });
});

describe('createMcpTool with a hand-made server', () => {
  const tool = (inputSchema: Record<string, unknown>, name = 't'): Tool =>
    ({ name, inputSchema: { type: 'object', ...inputSchema } }) as Tool;
  const server = (answer: (args: Record<string, unknown>) => Promise<CallToolResult>) => {
    const calls: Record<string, unknown>[] = [];
    const s: McpToolServer = {
      name: 'hand',
      callTool: (_name, args) => {
        calls.push(args);
        return answer(args);
      },
    };
    return { s, calls };
  };

  it('a schema ajv cannot compile: warns once, sends the arguments unchecked', async () => {
    const { s, calls } = server(async () => ({ content: [{ type: 'text', text: 'ran' }] }));
    const warnings: string[] = [];
    const broken = tool({ properties: { a: { type: 'number', minimum: 'zero' } } }, 'broken');
    const t = createMcpTool(s, broken, {
      name: 'hand__broken',
      logger: { warn: (_details, message) => warnings.push(message) },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^\[hand\] broken: its input schema could not be compiled .*sent unchecked\.$/,
    );
    const message = await t.invoke(call('hand__broken', { a: 'anything' }));
    expect(message).toMatchObject({ status: 'success', content: 'ran' });
    expect(artifactOf(message).warning).toBe(warnings[0]);
    expect(calls).toEqual([{ a: 'anything' }]);
    // Even a $ref LangChain's validator throws on does not block the tool.
    const refTool = createMcpTool(s, tool({ properties: { a: { $ref: '#/nope' } } }), { name: 'hand__t' });
    expect(await refTool.invoke({ a: 1 })).toBe('ran');
  });

  it('an unexpected exception from the server becomes error text', async () => {
    const { s } = server(async () => {
      throw new Error('socket exploded');
    });
    const t = createMcpTool(s, tool({}), { name: 'hand__t' });
    const message = await t.invoke(call('hand__t', {}));
    expect(message.status).toBe('error');
    expect(message.content).toBe(
      'Error [protocol/UNEXPECTED]: [hand] Unexpected error: socket exploded. Not a known MCP failure; check the server log and report it if it repeats.',
    );
  });

  it('passes images as content blocks beside structured content, keeps the raw result in the artifact', async () => {
    const result: CallToolResult = {
      content: [{ type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' }],
      structuredContent: { width: 1, height: 1 },
    };
    const { s } = server(async () => result);
    const message = await createMcpTool(s, tool({}), { name: 'hand__t' }).invoke(call('hand__t', {}));
    expect(message.content).toEqual([
      { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
      { type: 'text', text: '{"width":1,"height":1}' },
    ]);
    expect(artifactOf(message).result).toBe(result);
  });

  it('an image over the byte bound, or with a malformed media type, becomes a note; text stays text', async () => {
    const big = 'A'.repeat(8 * 1024 * 1024);
    const result: CallToolResult = {
      content: [
        { type: 'text', text: 'two pictures' },
        { type: 'image', data: big, mimeType: 'image/png' },
        { type: 'audio', data: 'AAAA', mimeType: 'text/html' },
      ],
    };
    const { s } = server(async () => result);
    const message = await createMcpTool(s, tool({}), { name: 'hand__t' }).invoke(call('hand__t', {}));
    expect(message.content).toBe(
      'two pictures\n[image: image/png, 6291456 bytes, not shown: over the 5242880-byte bound]\n[audio: text/html, 3 bytes, not shown: malformed data or media type]',
    );
    const small = { content: [{ type: 'audio', data: 'AAAA', mimeType: 'audio/wav' }] } as CallToolResult;
    const { s: s2 } = server(async () => small);
    const audio = await createMcpTool(s2, tool({}), { name: 'hand__t' }).invoke(call('hand__t', {}));
    expect(audio.content).toEqual([{ type: 'audio', data: 'AAAA', mimeType: 'audio/wav' }]);
  });
});

describe('LangChain behaviour this module relies on (@langchain/core 1.4)', () => {
  it('a JSON-schema DynamicStructuredTool throws ToolInputParsingException on bad args, before its func', async () => {
    let ran = false;
    const plain = new DynamicStructuredTool({
      name: 'plain',
      description: 'd',
      schema: { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] },
      func: async () => {
        ran = true;
        return 'ok';
      },
    });
    await expect(plain.invoke(call('plain', { a: 'x' }))).rejects.toBeInstanceOf(ToolInputParsingException);
    expect(ran).toBe(false);
  });

  it("a content_and_artifact tool's ToolMessage is always status 'success'", async () => {
    const plain = new DynamicStructuredTool({
      name: 'plain',
      description: 'd',
      schema: { type: 'object', properties: {} },
      responseFormat: 'content_and_artifact',
      func: async () => ['Error: it failed', { isError: true }],
    });
    expect(await plain.invoke(call('plain', {}))).toMatchObject({ status: 'success' });
  });
});

describe('validateArguments', () => {
  const schema = {
    type: 'object',
    properties: {
      path: { type: 'string' },
      limit: { type: 'number' },
      mode: { enum: ['r', 'w'] },
      options: { type: 'object', properties: { depth: { type: 'integer', minimum: 0 } } },
      tags: { type: 'array', items: { type: 'string' } },
      when: { type: 'string', format: 'date-time' },
      id: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
    },
    required: ['path'],
    additionalProperties: false,
  } as Tool['inputSchema'];
  const readFile = { name: 'read_file', inputSchema: schema };

  it('lists every problem readably, with nested paths', () => {
    const check = validateArguments('files', readFile, {
      limit: 'ten',
      mode: 'x',
      options: { depth: -1 },
      tags: ['a', 2],
      when: 'yesterday',
      id: true,
      extra: 1,
    });
    expect(check.valid).toBe(false);
    if (check.valid) return;
    expect(check.error.message).toBe(
      '[files] read_file: "path" is required; "extra" is not an accepted argument; "limit" must be a number; ' +
        '"mode" must be one of "r", "w"; "options.depth" must be >= 0; "tags[1]" must be a string; ' +
        '"when" must be a valid date-time; "id" must be a string or an integer. ' +
        "Fix the arguments to match the tool's input schema and call it again.",
    );
    expect(check.error).toMatchObject({
      kind: 'input',
      code: 'INVALID_INPUT',
      server: 'files',
      retryable: false,
    });
  });

  it('accepts good arguments and caches the compiled schema per schema object', () => {
    expect(validateArguments('files', readFile, { path: '/tmp', limit: 3 })).toEqual({ valid: true });
    expect(compileInputSchema('files', readFile)).toBe(
      compileInputSchema('other', { name: 'x', inputSchema: schema }),
    );
  });

  it('uses 2020-12 by default, draft-07 when declared, and falls back to draft-07 for tuple items', () => {
    const tuple = {
      name: 'pair',
      inputSchema: { type: 'object', properties: { p: { type: 'array', items: [{ type: 'number' }] } } },
    } as Tool;
    expect(compileInputSchema('s', tuple).validate).toBeDefined();
    expect(validateArguments('s', tuple, { p: ['x'] }).valid).toBe(false);
    const draft7 = {
      name: 'd7',
      inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', required: ['a'] },
    } as Tool;
    expect(validateArguments('s', draft7, {}).valid).toBe(false);
  });

  it('tools of different servers may reuse an $id', () => {
    const a = {
      name: 'a',
      inputSchema: { $id: 'https://example.com/same.json', type: 'object', required: ['x'] },
    } as Tool;
    const b = {
      name: 'b',
      inputSchema: { $id: 'https://example.com/same.json', type: 'object', required: ['y'] },
    } as Tool;
    expect(validateArguments('s1', a, { x: 1 }).valid).toBe(true);
    expect(validateArguments('s2', b, { y: 1 }).valid).toBe(true);
    expect(validateArguments('s2', b, { x: 1 }).valid).toBe(false);
    // An outside $ref cannot be resolved: a warning, not a crash, and the arguments go through.
    const remote = {
      name: 'remote',
      inputSchema: { type: 'object', properties: { p: { $ref: 'https://example.com/same.json' } } },
    } as Tool;
    expect(validateArguments('s3', remote, { p: 1 })).toMatchObject({
      valid: true,
      warning: expect.stringMatching(/can't resolve reference/),
    });
  });
});

describe('formatToolResult', () => {
  it('joins text parts and summarizes binary and resource parts', () => {
    const result: CallToolResult = {
      content: [
        { type: 'text', text: 'first' },
        { type: 'image', data: 'AAAA', mimeType: 'image/jpeg' },
        { type: 'audio', data: 'AAAAAA==', mimeType: 'audio/wav' },
        { type: 'resource_link', uri: 'file:///a.txt', name: 'a.txt', mimeType: 'text/plain', size: 12 },
        { type: 'resource', resource: { uri: 'file:///b.md', mimeType: 'text/markdown', text: '# B' } },
        { type: 'resource', resource: { uri: 'file:///c.bin', blob: 'AAAA' } },
        { type: 'text', text: 'last' },
      ],
      structuredContent: { ignored: true },
    };
    expect(formatToolResult(result)).toBe(
      [
        'first',
        '[image: image/jpeg, 3 bytes]',
        '[audio: audio/wav, 4 bytes]',
        '[resource link: a.txt <file:///a.txt> (text/plain, 12 bytes)]',
        '[resource: file:///b.md (text/markdown)]\n# B',
        '[resource: file:///c.bin (3 bytes)]',
        'last',
      ].join('\n'),
    );
  });

  it('gives structuredContent as JSON when there is no text, and says so when there is nothing', () => {
    expect(formatToolResult({ content: [], structuredContent: { sum: 42 } })).toBe('{"sum":42}');
    expect(formatToolResult({ content: [] })).toBe('(the tool returned no content)');
  });

  it('caps at 20 000 characters by default, note included, never splitting a surrogate pair', () => {
    const long = formatToolResult({ content: [{ type: 'text', text: 'y'.repeat(30_000) }] });
    expect(long).toHaveLength(DEFAULT_MAX_RESULT_CHARS);
    expect(long).toMatch(/\n\[truncated: showing \d+ of 30000 characters\]$/);
    const emoji = '😀'.repeat(40);
    const capped = capText(emoji, 60);
    expect(capped.length).toBeLessThanOrEqual(60);
    expect(capped.split('\n')[0]).toMatch(/^(😀)+$/u);
    expect(capText('short', 60)).toBe('short');
  });
});
