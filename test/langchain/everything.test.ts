// Images, resources and prompts of a third-party server (@modelcontextprotocol/server-everything).

import { fileURLToPath } from 'node:url';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as mcp from '../../src/actors/resourcesAndPrompts.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stopAllFixtures } from '../fixtures/index.js';

const EVERYTHING = fileURLToPath(new URL('../../node_modules/.bin/mcp-server-everything', import.meta.url));

const teams: MCPTeam[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
});
afterAll(stopAllFixtures);

async function everything(model = new ScriptedChatModel([{ content: 'unused' }])) {
  const team = await new MCPTeamBuilder('ev')
    .withLlm(model)
    .withLogger(quietLogger)
    .withMcpServer(EVERYTHING, [], { name: 'everything' })
    .build();
  teams.push(team);
  return team;
}

describe('server-everything through a team', () => {
  it('an image tool result reaches the model as a LangChain image block; text stays text', async () => {
    let seen: unknown;
    const model = new ScriptedChatModel([
      { toolCalls: [{ name: 'everything__get-tiny-image', args: {} }] },
      (messages) => {
        seen = messages.at(-1)?.content;
        return { content: 'saw it' };
      },
    ]);
    const team = await everything(model);
    const { messages } = await team.invoke({ messages: [new HumanMessage('show the logo')] });
    const result = messages.find((m): m is ToolMessage => m instanceof ToolMessage)!;
    expect(result.status).toBe('success');
    const blocks = result.content as { type: string; mimeType?: string; data?: string; text?: string }[];
    expect(blocks.map((b) => b.type)).toEqual(['text', 'image', 'text']);
    expect(blocks[0]?.text).toBe("Here's the image you requested:");
    expect(blocks[1]).toMatchObject({ type: 'image', mimeType: 'image/png' });
    expect(blocks[1]?.data).toMatch(/^iVBORw0KGgo/);
    expect(result.response_metadata).toMatchObject({ output_version: 'v1' });
    expect(seen).toEqual(blocks);
    // A text-only tool still gives a string.
    const [echo] = await team
      .getTools('everything')
      .then((t) => t.filter((x) => x.name === 'everything__echo'));
    expect(await echo!.invoke({ message: 'hi' })).toBe('Echo: hi');
  });

  it('resources and prompts: list, read, get, with operation events; a breaker that refuses fails fast', async () => {
    const team = await everything();
    const events: RuntimeEvent[] = [];
    team.events$.subscribe((e) => events.push(e));

    const resources = await team.listResources();
    expect(Object.keys(resources)).toEqual(['everything']);
    const first = resources.everything?.[0];
    expect(first?.uri).toBeTruthy();
    const read = await team.readResource('everything', first!.uri);
    expect(read.contents[0]?.uri).toBe(first!.uri);

    const prompts = await team.listPrompts('everything');
    expect(prompts.everything?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['simple-prompt', 'args-prompt']),
    );
    const prompt = await team.getPrompt('everything', 'args-prompt', { city: 'Lyon' });
    expect(prompt.messages[0]?.content).toMatchObject({ type: 'text', text: "What's weather in Lyon?" });

    const ops = events.filter((e) => e.type === 'operation.completed');
    expect(ops.map((e) => e.type === 'operation.completed' && e.operation)).toEqual([
      'resources/list',
      'resources/read',
      'prompts/list',
      'prompts/get',
    ]);
    expect(
      ops.every((e) => e.type === 'operation.completed' && e.ok && e.labels?.server === 'everything'),
    ).toBe(true);

    // An unknown prompt is the server's answer (a protocol error), typed.
    await expect(team.getPrompt('everything', 'no-such-prompt')).rejects.toMatchObject({
      server: 'everything',
    });
    await expect(team.readResource('ghost', 'x://y')).rejects.toMatchObject({ code: 'UNKNOWN_SERVER' });

    team.getServer('everything')!.breaker.isolate();
    const started = performance.now();
    await expect(team.readResource('everything', first!.uri)).rejects.toMatchObject({ kind: 'circuitOpen' });
    expect(performance.now() - started).toBeLessThan(500);
    // Listing every server leaves an unavailable one out; naming it rejects.
    expect(await team.listPrompts()).toEqual({});
    await expect(team.listPrompts('everything')).rejects.toMatchObject({ kind: 'circuitOpen' });
  });

  it('connection level: a read made while the server reconnects waits for it within its deadline; events on the given bus', async () => {
    const bus = new EventBus();
    const events: RuntimeEvent[] = [];
    bus.events$.subscribe((e) => events.push(e));
    const conn = new ServerConnection({
      config: { name: 'ev1', transport: 'stdio', command: EVERYTHING },
      logger: quietLogger,
      connection: { backoffBaseMs: 100, backoffMaxMs: 200 },
    });
    try {
      await conn.start();
      const templates = await mcp.listResourceTemplates(conn);
      expect(templates.length).toBeGreaterThan(0);
      const [first] = await mcp.listResources(conn);
      process.kill(conn.pid!, 'SIGKILL');
      const read = await mcp.readResource(conn, first!.uri, { timeout: 15_000, bus });
      expect(read.contents[0]?.uri).toBe(first!.uri);
      expect(events.filter((e) => e.type === 'operation.completed')).toMatchObject([
        { operation: 'resources/read', ok: true, labels: { server: 'ev1' } },
      ]);
      // A budget too short to see the server come back: a typed failure, at once (a timeout, or the
      // dead pipe's connection error when the write beats the 1 ms deadline).
      process.kill(conn.pid!, 'SIGKILL');
      const started = performance.now();
      const error = await mcp.listPrompts(conn, { timeout: 1 }).catch((e: unknown) => e);
      expect(['timeout', 'connection']).toContain((error as { kind?: string }).kind);
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await conn.close();
    }
  });
});
