// Hostile servers against the public API: nothing a server sends may stall a turn, flood the
// model, block the event loop or grow the heap. Real stdio servers (test/fixtures/hostile-server.mjs).
import { fileURLToPath } from 'node:url';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import type { Tool } from '@modelcontextprotocol/client';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ServerConnection } from '../../src/actors/ServerConnection.js';
import { ofType } from '../../src/events/EventBus.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { createMcpTool, type McpStructuredTool } from '../../src/team/createMcpTool.js';
import { finalAnswer, type MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { patternRisk, patternTimedOut, variableQuantifiers } from '../../src/team/safePattern.js';
import { ToolRegistry } from '../../src/team/ToolRegistry.js';
import {
  MAX_COMPILED_SCHEMAS,
  MAX_TOOL_DESCRIPTION_CHARS,
  MAX_TOOL_RESULT_CHARS,
  MAX_TOOLS_PER_SERVER,
} from '../../src/team/toolLimits.js';
import { compiledSchemaCount, validateArguments } from '../../src/team/validateArguments.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const HOSTILE_SERVER = fileURLToPath(new URL('../fixtures/hostile-server.mjs', import.meta.url));
type Mode = 'list-hang' | 'list-forever' | 'huge-error' | 'redos' | 'many-tools';

/** The hostile server's budgets: a 2 s connect (and so list) budget, a 60 s request timeout. */
const HOSTILE_CONNECT_S = 2;
const HOSTILE_REQUEST_S = 60;

const teams: MCPTeam[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
});
afterAll(stopAllFixtures);

/** A team of one healthy fixture server (`healthy`) and one hostile server (`hostile`, optional). */
async function teamWith(
  mode: Mode,
  model: ScriptedChatModel,
  connectTimeoutS = HOSTILE_CONNECT_S,
): Promise<MCPTeam> {
  const fx = stdioFixture();
  const team = await new MCPTeamBuilder('hostile_test')
    .withLlm(model)
    .withLogger(quietLogger)
    .withMcpServer(fx.command, fx.args, { name: 'healthy' })
    .withMcpServer(process.execPath, [HOSTILE_SERVER, `--mode=${mode}`], {
      name: 'hostile',
      optional: true,
      connectTimeout: connectTimeoutS,
      timeout: HOSTILE_REQUEST_S,
    })
    // One failure opens a breaker (and keeps it open for the test): the listing failure shows.
    .withCircuitBreaker({ strategy: { kind: 'consecutive', threshold: 1 }, resetTimeoutMs: 600_000 })
    .skipFailedServers(true)
    .build();
  teams.push(team);
  // build() does not wait for an optional server: the hostile one is the subject, so wait until it
  // joined (its tools listed) or its breaker opened (its listing failed), whichever it does.
  const hostile = team.getServer('hostile')!;
  if (!hostile.cachedTools && hostile.breaker.state !== 'open') {
    await Promise.race([
      firstValueFrom(team.events$.pipe(ofType('team.server.joined'))),
      firstValueFrom(hostile.breaker.state$.pipe(filter((s) => s === 'open'))),
    ]);
  }
  return team;
}

const toolMessages = (messages: unknown[]) =>
  messages.filter((m): m is ToolMessage => m instanceof ToolMessage);

describe('a server that never finishes tools/list', () => {
  it.each(['list-hang', 'list-forever'] as const)(
    '%s: build is bounded by the connect budget, the turn uses the healthy tool at once, the breaker counts it',
    async (mode) => {
      const model = new ScriptedChatModel([
        { toolCalls: [{ name: 'healthy__echo', args: { text: 'still working' } }] },
        (messages) => ({ content: `echo said ${String(messages.at(-1)?.content)}` }),
      ]);
      const buildStarted = performance.now();
      const team = await teamWith(mode, model);
      const buildMs = performance.now() - buildStarted;
      // Built, and the hostile listing failed, within the connect budget: never the request timeout
      // (60 s), since the listing's budget is the 2 s connect budget.
      expect(buildMs).toBeLessThan(HOSTILE_CONNECT_S * 1000 + 4_000);

      const turnStarted = performance.now();
      const { messages } = await team.invoke({ messages: [new HumanMessage('echo something')] });
      const turnMs = performance.now() - turnStarted;
      expect(finalAnswer(messages)).toBe('echo said still working');
      expect(toolMessages(messages).map((m) => m.status)).toEqual(['success']);
      // Under the hostile server's list budget (and far under its 60 s request timeout): the turn
      // did not wait for its listing again.
      expect(turnMs).toBeLessThan(HOSTILE_CONNECT_S * 1000);

      const hostile = team.getServerStates().hostile;
      expect(hostile?.tools).toBe(0);
      expect(hostile?.breaker).toBe('open');
      expect(team.getMcpToolNames()).toContain('healthy__echo');
      expect(team.getMcpToolNames().some((n) => n.startsWith('hostile__'))).toBe(false);
      const prompt = model.calls[0]?.systemPrompt ?? '';
      expect(prompt).toMatch(/- healthy: online/);
      expect(prompt).toMatch(
        mode === 'list-hang'
          ? /- hostile: UNAVAILABLE \((ready|degraded), breaker open\).*could not be listed \(TimeoutError/
          : /- hostile: UNAVAILABLE \((ready|degraded), breaker open\).*could not be listed \(ResourceError: .*list never ended/,
      );
    },
    20_000,
  );
});

describe('a server that floods', () => {
  it('a 1 MB isError text and a 1 MB JSON-RPC error reach the model bounded, saying they were cut', async () => {
    const model = new ScriptedChatModel([
      {
        toolCalls: [
          { name: 'hostile__huge_error', args: {} },
          { name: 'hostile__huge_throw', args: {} },
        ],
      },
      { content: 'done' },
    ]);
    const team = await teamWith('huge-error', model);
    const { messages } = await team.invoke({ messages: [new HumanMessage('fail loudly')] });
    const results = toolMessages(messages);
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result.status).toBe('error');
      expect(String(result.content).length).toBeLessThanOrEqual(MAX_TOOL_RESULT_CHARS);
    }
    // The isError text is cut where the model's budget ends, and says so.
    expect(String(results[0]?.content).slice(0, 20)).toMatch(/^Error: EEEE/);
    expect(String(results[0]?.content).slice(-60)).toMatch(
      /\[truncated: showing \d+ of 100\d{4} characters\]$/,
    );
    // The JSON-RPC error's text is bounded where the typed error is made (its first 200 characters).
    const rpc = String(results[1]?.content);
    expect(rpc.slice(0, 40)).toMatch(/^Error \[tool\/MCP_-32000\]: /);
    expect(rpc).toMatch(/T{100}/);
    expect(rpc.length).toBeLessThan(1_000);
  });

  it('5,000 tools with 10 KB descriptions: bounded per server, the healthy tools still offered, the prompt says so', async () => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'healthy__echo', args: { text: 'crowded' } }] },
      { content: 'done' },
    ]);
    // Listing 50 MB in 50 pages takes a while on a loaded machine: give it a 20 s connect (and list) budget.
    const team = await teamWith('many-tools', model, 20);
    expect(team.getServer('hostile')?.cachedTools).toHaveLength(5_000);
    const { messages } = await team.invoke({ messages: [new HumanMessage('echo')] });
    expect(toolMessages(messages)[0]?.content).toBe('crowded');

    const offered = model.calls[0]?.toolNames ?? [];
    expect(offered).toContain('healthy__echo');
    expect(offered.filter((n) => n.startsWith('hostile__')).length).toBeLessThanOrEqual(MAX_TOOLS_PER_SERVER);
    const tools = model.calls[0]?.tools ?? [];
    for (const t of tools) expect(t.description.length).toBeLessThanOrEqual(MAX_TOOL_DESCRIPTION_CHARS + 40);
    expect(tools.find((t) => t.name.startsWith('hostile__'))?.description).toMatch(/\[truncated: showing/);
    const prompt = model.calls[0]?.systemPrompt ?? '';
    expect(prompt).toMatch(/4872 of 5000 listed tools left out \(limit 128 per server\)/);
    expect(prompt.length).toBeLessThan(10_000);
  });
});

/**
 * How long `check` held this process, in ms: the smaller of wall time and this process's CPU time
 * (tests run in forks), so other processes on a busy machine do not count against it.
 */
async function held(check: () => unknown): Promise<number> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  await check();
  const { user, system } = process.cpuUsage(cpu);
  return Math.min(performance.now() - wall, (user + system) / 1000);
}

describe('a server-supplied pattern that backtracks', () => {
  it("validating 'a'.repeat(30)+'b' against ^(a+)+$ from a real listing returns in milliseconds", async () => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'hostile__match', args: { text: `${'a'.repeat(30)}b` } }] },
      { content: 'done' },
    ]);
    const team = await teamWith('redos', model);
    const tool = team.getServer('hostile')?.cachedTools?.find((t) => t.name === 'match');
    expect(tool?.inputSchema).toMatchObject({ properties: { text: { pattern: '^(a+)+$' } } });

    let check: ReturnType<typeof validateArguments> | undefined;
    const elapsed = await held(() => {
      check = validateArguments('hostile', tool as Tool, { text: `${'a'.repeat(30)}b` });
    });
    expect(elapsed).toBeLessThan(100);
    expect(check).toMatchObject({
      valid: true,
      warning: expect.stringMatching(/could block the event loop/),
    });
    // Other keywords still apply.
    expect(validateArguments('hostile', tool as Tool, { text: 42 }).valid).toBe(false);

    const turnStarted = performance.now();
    const { messages } = await team.invoke({ messages: [new HumanMessage('match')] });
    expect(performance.now() - turnStarted).toBeLessThan(1_500);
    expect(toolMessages(messages)[0]?.content).toBe('ok match');
  });

  it('variable quantifiers are counted; patterns with several are still checked correctly (under the watchdog)', () => {
    expect(variableQuantifiers('^\\d{4}-\\d{2}-\\d{2}$')).toBe(0);
    expect(variableQuantifiers('^[a-z0-9-]+$')).toBe(1);
    expect(variableQuantifiers('^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$')).toBe(3);
    expect(variableQuantifiers('(?:ab)?c{2,5}[*+?]\\*')).toBe(2);
    const email: Tool = {
      name: 'mail',
      inputSchema: {
        type: 'object',
        properties: { to: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$' } },
      },
    };
    expect(validateArguments('m', email, { to: 'ada@example.org' }).valid).toBe(true);
    expect(validateArguments('m', email, { to: 'not an address' }).valid).toBe(false);
    expect(validateArguments('m', email, { to: `${'x'.repeat(5_000)}@example.org` }).valid).toBe(true);
  });

  it('patternRisk refuses exponential shapes and keeps ordinary patterns', () => {
    for (const bad of [
      '^(a+)+$',
      '(a|aa)*b',
      '^(\\w+\\s?)*$',
      '(x+x+)+y',
      '^(a*)*$',
      '(\\d+){2,}',
      '(a)\\1',
      'a'.repeat(300),
    ]) {
      expect(patternRisk(bad), bad).toBeDefined();
    }
    for (const ok of [
      '^[a-z0-9-]+$',
      '^\\d{4}-\\d{2}-\\d{2}$',
      '^(https?)://[^\\s]+$',
      '^(\\+|-)?\\d+(\\.\\d+)?$',
      '[(a+)+]',
    ]) {
      expect(patternRisk(ok), ok).toBeUndefined();
    }
  });
});

describe('compiled validators', () => {
  it('stay bounded over 20 refreshes of 200 tools, and are released when tools disappear', async () => {
    let tools: Tool[] = [];
    const server = {
      name: 'churn',
      available: true,
      state: 'ready',
      breaker: { state: 'closed' },
      get cachedTools() {
        return tools;
      },
      callTool: async () => ({ content: [] }),
    } as unknown as ServerConnection;
    const registry = new ToolRegistry([server]);
    const gc = (globalThis as { gc?: () => void }).gc;
    const before = compiledSchemaCount();
    let heapAfterFirst = 0;
    for (let round = 0; round < 20; round++) {
      // Every refresh lists 200 tools with schemas never seen before (as after a list_changed).
      tools = Array.from({ length: 200 }, (_, i) => ({
        name: `t${i}`,
        inputSchema: {
          type: 'object',
          properties: {
            [`p${round}_${i}`]: { type: 'string', pattern: `^[a-z]{1,${round + 1}}$` },
            n: { type: 'integer' },
          } as Record<string, Record<string, string>>,
          required: [`p${round}_${i}`],
        },
      }));
      const offered = registry.live().tools as McpStructuredTool[];
      expect(offered.length).toBeLessThanOrEqual(MAX_TOOLS_PER_SERVER);
      // Offering compiles nothing (the previous round's validators were released): calls do.
      expect(compiledSchemaCount()).toBe(before);
      for (const t of offered) expect(validateArguments('churn', t.mcpTool, {}).valid).toBe(false);
      expect(compiledSchemaCount() - before).toBe(offered.length);
      if (round === 0 && gc) {
        gc();
        heapAfterFirst = process.memoryUsage().heapUsed;
      }
    }
    expect(compiledSchemaCount()).toBeLessThanOrEqual(MAX_COMPILED_SCHEMAS);
    tools = [];
    registry.live();
    expect(compiledSchemaCount()).toBe(before);
    if (gc) {
      gc();
      // Without the release, each refresh retained about 1.3 MB (20 refreshes: 26 MB).
      expect(process.memoryUsage().heapUsed - heapAfterFirst).toBeLessThan(8 * 1024 * 1024);
    }
  }, 120_000);
});

describe('a pattern that backtracks polynomially', () => {
  it('is stopped by the watchdog once, then left unchecked; neither our check nor LangChain blocks the call', async () => {
    const pattern = '^\\d*\\d*\\d*\\d*x$'; // passes patternRisk; 3.8 s natively on 400 digits
    expect(patternRisk(pattern)).toBeUndefined();
    const tool: Tool = {
      name: 'digits',
      inputSchema: { type: 'object', properties: { s: { type: 'string', pattern } }, required: ['s'] },
    };
    const slow = '1'.repeat(400);
    expect(
      await held(() => expect(validateArguments('poly', tool, { s: slow }).valid).toBe(true)),
    ).toBeLessThan(100);
    expect(patternTimedOut(pattern)).toBe(true);
    // From now on the pattern is not checked at all (other keywords still are), at no cost.
    expect(validateArguments('poly', tool, { s: '12y' }).valid).toBe(true);
    expect(validateArguments('poly', tool, { s: 12 }).valid).toBe(false);
    expect(
      await held(() => expect(validateArguments('poly', tool, { s: slow }).valid).toBe(true)),
    ).toBeLessThan(10);

    // Through the LangChain tool: LangChain's own validator would run the pattern natively.
    const sent: unknown[] = [];
    const wrapped = createMcpTool(
      {
        name: 'poly',
        callTool: async (_name, args) => {
          sent.push(args);
          return { content: [{ type: 'text', text: 'ok' }] };
        },
      },
      tool,
      { name: 'poly__digits' },
    );
    let reply: unknown;
    const invoking = await held(async () => {
      reply = await wrapped.invoke({ id: 'c1', name: 'poly__digits', args: { s: slow }, type: 'tool_call' });
    });
    expect(invoking).toBeLessThan(100);
    expect(reply).toBeInstanceOf(ToolMessage);
    expect((reply as ToolMessage).content).toBe('ok');
    expect(sent).toEqual([{ s: slow }]);
    expect(wrapped.schema).toBe(tool.inputSchema);
  });
});
