// Hostile classes about what a server lists and answers: listings, schemas, patterns, error sizes.
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import type { Tool } from '@modelcontextprotocol/client';
import { filter, firstValueFrom } from 'rxjs';
import { expect } from 'vitest';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { McpStructuredTool } from '../../src/team/createMcpTool.js';
import { ToolRegistry } from '../../src/team/ToolRegistry.js';
import {
  MAX_COMPILED_SCHEMAS,
  MAX_TOOL_RESULT_CHARS,
  MAX_TOOLS_PER_SERVER,
} from '../../src/team/toolLimits.js';
import { compiledSchemaCount, validateArguments } from '../../src/team/validateArguments.js';
import type { HostileCase } from './harness.js';
import {
  connection,
  HEALTHY_CALL_MS,
  healthyMeanwhile,
  healthyOn,
  hostileConfig,
  hostileJoined,
  LOOP_STALL_LIMIT_MS,
  sharedBus,
  teamWith,
} from './servers.js';

export interface HostileClass {
  id: string;
  label: string;
  run: (c: HostileCase) => Promise<void>;
  /** A known defect: the case asserts the correct behaviour and runs under `it.fails`. */
  knownFailure?: string;
  timeoutMs?: number;
}

const toolMessages = (messages: unknown[]) =>
  messages.filter((m): m is ToolMessage => m instanceof ToolMessage);
/** A turn of the team on the healthy server alone: its own budget. */
const HEALTHY_TURN_MS = 1_500;

function neverEndingListing(mode: 'list-hang' | 'list-forever'): (c: HostileCase) => Promise<void> {
  return async (c) => {
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'healthy__echo', args: { text: 'still working' } }] },
      { content: 'done' },
    ]);
    const built = await c.settle('build()', 2_000 + 4_000, () => teamWith(c, mode, model));
    c.measure('build ms', built.elapsedMs);
    if (!built.ok) throw built.error;
    const team = built.value;
    const { messages } = await c.healthy('turn', HEALTHY_TURN_MS, () =>
      team.invoke({ messages: [new HumanMessage('echo')] }),
    );
    expect(toolMessages(messages).map((m) => m.content)).toEqual(['still working']);
    const hostile = team.getServerStates().hostile;
    c.measure('hostile tools offered', hostile?.tools ?? -1);
    expect(hostile?.tools).toBe(0);
    expect(team.getMcpToolNames()).toContain('healthy__echo');
  };
}

export const TOOL_CLASSES: HostileClass[] = [
  {
    id: 'list-hang',
    label: 'tools/list never answered',
    run: neverEndingListing('list-hang'),
  },
  {
    id: 'list-forever',
    label: 'tools/list pages forever',
    run: neverEndingListing('list-forever'),
  },
  {
    id: 'list-changed-flood',
    label: '20,000 list_changed notifications',
    run: async (c) => {
      const { bus, events } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const hostile = connection(c, hostileConfig('notification-flood'), { bus });
      await hostile.start();
      await hostile.listTools();
      const changedBefore = events.filter((e) => e.type === 'tools.changed').length;
      const flood = c.settle('flood 20000', 30_000, () =>
        hostile.callTool('flood', { count: 20_000 }, { timeout: 30_000 }),
      );
      const settled = await c.loopDelay('flood', () => healthyMeanwhile(c, healthy, flood));
      c.measure('flood call ms', settled.elapsedMs);
      expect(settled.ok).toBe(true);
      // Every notification arrived before the reply (one ordered stream): a last refresh may follow.
      const lists = await hostile.callTool('lists', {});
      const listed = Number((lists.content[0] as { text: string }).text);
      c.measure('tools/list requests (first listing + refreshes)', listed);
      c.measure(
        'tools.changed events',
        events.filter((e) => e.type === 'tools.changed').length - changedBefore,
      );
      expect(listed).toBeLessThanOrEqual(20);
      expect(c.measured['flood longest stall CPU ms']).toBeLessThan(LOOP_STALL_LIMIT_MS);
    },
  },
  {
    id: 'redos-pattern',
    label: 'ReDoS `pattern` in an input schema',
    run: async (c) => {
      const evil = `${'a'.repeat(30)}b`;
      const model = new ScriptedChatModel([
        {
          toolCalls: [
            { name: 'hostile__match', args: { text: evil } },
            { name: 'healthy__echo', args: { text: 'beside' } },
          ],
        },
        { content: 'done' },
      ]);
      const team = await teamWith(c, 'redos', model);
      await hostileJoined(team);
      const tool = team.getServer('hostile')?.cachedTools?.find((t) => t.name === 'match');
      expect(tool?.inputSchema).toMatchObject({ properties: { text: { pattern: '^(a+)+$' } } });
      const started = performance.now();
      const check = validateArguments('hostile', tool as Tool, { text: evil });
      c.measure('validation ms', performance.now() - started);
      expect(check.valid).toBe(true);
      expect(c.measured['validation ms']).toBeLessThan(100);
      const { messages } = await c.healthy('turn', HEALTHY_TURN_MS, () =>
        team.invoke({ messages: [new HumanMessage('match')] }),
      );
      expect(toolMessages(messages).map((m) => m.content)).toEqual(['ok match', 'beside']);
    },
  },
  {
    id: 'schema-churn',
    label: 'schema churn (200 new schemas per listing, 4 listings)',
    run: async (c) => {
      const { bus } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const hostile = connection(c, hostileConfig('schema-churn'), { bus });
      await hostile.start();
      await hostile.listTools();
      const registry = new ToolRegistry([hostile, healthy]);
      const before = compiledSchemaCount();
      let most = 0;
      let slowest = 0;
      for (let round = 0; round < 4; round++) {
        // The refresh follows the announcement: wait for its event, not for time.
        const refreshed = firstValueFrom(
          bus.events$.pipe(filter((e) => e.type === 'tools.changed' && e.server === 'hostile')),
        );
        await hostile.callTool('churn', {});
        await refreshed;
        const offered = (registry.live().tools as McpStructuredTool[]).filter((t) =>
          t.name.startsWith('hostile__t'),
        );
        expect(offered.length).toBeLessThanOrEqual(MAX_TOOLS_PER_SERVER);
        for (const t of offered) validateArguments('hostile', t.mcpTool, {});
        most = Math.max(most, compiledSchemaCount() - before);
        const started = performance.now();
        await c.healthy('echo', HEALTHY_CALL_MS, () => healthy.callTool('echo', { text: 'ok' }));
        slowest = Math.max(slowest, performance.now() - started);
      }
      delete c.measured['healthy echo ms'];
      c.measure('healthy slowest ms', slowest);
      c.measure('most compiled validators', most);
      c.measure('compiled validator limit', MAX_COMPILED_SCHEMAS);
      // Each listing's validators are released when the next one replaces it: never more than one listing's.
      expect(most).toBeLessThanOrEqual(Math.min(MAX_TOOLS_PER_SERVER, MAX_COMPILED_SCHEMAS));
    },
  },
  {
    id: 'huge-error-text',
    label: '1 MB error text (isError and JSON-RPC -32000)',
    run: async (c) => {
      const model = new ScriptedChatModel([
        {
          toolCalls: [
            { name: 'hostile__huge_error', args: {} },
            { name: 'hostile__huge_throw', args: {} },
            { name: 'healthy__echo', args: { text: 'beside' } },
          ],
        },
        { content: 'done' },
      ]);
      const team = await teamWith(c, 'huge-error', model);
      await hostileJoined(team);
      const { messages } = await c.healthy('turn', HEALTHY_TURN_MS * 2, () =>
        team.invoke({ messages: [new HumanMessage('fail loudly')] }),
      );
      const results = toolMessages(messages);
      const sizes = results.map((m) => String(m.content).length);
      c.measure('ToolMessage chars (isError, -32000, healthy)', sizes.join(', '));
      expect(results.map((m) => m.status)).toEqual(['error', 'error', 'success']);
      for (const size of sizes) expect(size).toBeLessThanOrEqual(MAX_TOOL_RESULT_CHARS);
      const error = await team
        .getServer('hostile')
        ?.callTool('huge_throw', {})
        .catch((e: unknown) => e);
      c.measure('typed error message chars', (error as Error).message.length);
    },
  },
];
