// List operations report one `list.completed` event each, and a tool list fetched from the server
// announces its count (`tools.changed`) whenever views may hold another one: first listing, after a
// reconnect. Real servers: the stdio fixture and @modelcontextprotocol/server-everything.
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as mcp from '../../src/actors/resourcesAndPrompts.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { DashboardModel } from '../../src/dashboard/DashboardModel.js';
import type { EventBus } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';
import { quietLogger, reach, record } from './connectionTestKit.js';

const EVERYTHING = fileURLToPath(new URL('../../node_modules/.bin/mcp-server-everything', import.meta.url));

const open: ServerConnection[] = [];
const teams: MCPTeam[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
});
afterAll(stopAllFixtures);

function connect(config: { command: string; args: string[] }, bus?: EventBus): ServerConnection {
  const conn = new ServerConnection({
    config: { name: 'fx', transport: 'stdio', ...config, connectTimeoutMs: 10_000 },
    logger: quietLogger,
    ...(bus ? { bus } : {}),
  });
  open.push(conn);
  return conn;
}

/** The next event of `type` on `events$` that `match` accepts (events, not time). */
function nextEvent<T extends RuntimeEvent['type']>(
  events$: ServerConnection['events$'],
  type: T,
  match: (e: Extract<RuntimeEvent, { type: T }>) => boolean = () => true,
) {
  return firstValueFrom(
    events$.pipe(
      filter((e): e is Extract<RuntimeEvent, { type: T }> => e.type === type && match(e as never)),
    ),
  );
}

describe('list.completed and tools.changed from tools/list (stdio fixture)', () => {
  it('a fetched list: one list.completed (count, not from cache) and tools.changed; a cached one: fromCache, no tools.changed', async () => {
    const conn = connect(stdioFixture());
    const rec = record(conn);
    await conn.start();
    const tools = await conn.listTools();
    expect(await conn.listTools()).toBe(tools);
    const lists = rec.ofType('list.completed');
    expect(lists).toHaveLength(2);
    expect(lists[0]).toMatchObject({
      type: 'list.completed',
      source: 'server:fx',
      server: 'fx',
      operation: 'tools/list',
      ok: true,
      count: tools.length,
      fromCache: false,
    });
    expect(lists[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(lists[0]).not.toHaveProperty('error');
    expect(lists[1]).toMatchObject({
      operation: 'tools/list',
      ok: true,
      count: tools.length,
      fromCache: true,
    });
    // Announced once, by the fetch; the cache hit says nothing new.
    expect(rec.ofType('tools.changed')).toEqual([
      expect.objectContaining({ server: 'fx', tools: tools.length }),
    ]);
  });

  it('a failed listing: list.completed with ok false and the error summary, no count', async () => {
    const conn = connect(stdioFixture());
    const rec = record(conn);
    await conn.start();
    await conn.close();
    await expect(conn.listTools({ timeout: 1_000 })).rejects.toMatchObject({ server: 'fx' });
    const [failed] = rec.ofType('list.completed');
    expect(failed).toMatchObject({ operation: 'tools/list', ok: false, fromCache: false });
    expect(failed).not.toHaveProperty('count');
    expect(failed?.error).toMatchObject({ kind: expect.any(String), code: expect.any(String) });
    expect(rec.ofType('tools.changed')).toEqual([]);
  });

  it('after a reconnect the refetched list is announced again, though its count did not change', async () => {
    const conn = connect(stdioFixture());
    await conn.start();
    const before = await conn.listTools();
    const rec = record(conn);
    const lost = reach(conn, 'reconnecting');
    process.kill(conn.pid as number, 'SIGKILL');
    await lost;
    await reach(conn, 'ready');
    expect(conn.cachedTools).toBeUndefined();
    const changed = nextEvent(conn.events$, 'tools.changed');
    const after = await conn.listTools();
    expect(after).toHaveLength(before.length);
    expect(await changed).toMatchObject({ server: 'fx', tools: before.length });
    expect(rec.ofType('list.completed').at(-1)).toMatchObject({ fromCache: false, count: before.length });
  });
});

describe('list.completed from resources/list, resources/templates/list, prompts/list (server-everything)', () => {
  it('each list reports once on the connection bus, with the number of items it returned', async () => {
    const conn = connect({ command: EVERYTHING, args: [] });
    const rec = record(conn);
    await conn.start();
    const resources = await mcp.listResources(conn);
    const templates = await mcp.listResourceTemplates(conn);
    const prompts = await mcp.listPrompts(conn);
    await mcp.readResource(conn, resources[0]?.uri ?? 'demo://resource/static/document/architecture.md');
    expect(resources.length).toBeGreaterThan(0);
    expect(prompts.length).toBeGreaterThan(0);
    expect(
      rec.ofType('list.completed').map(({ operation, ok, count, fromCache, server }) => ({
        operation,
        ok,
        count,
        fromCache,
        server,
      })),
    ).toEqual([
      { operation: 'resources/list', ok: true, count: resources.length, fromCache: false, server: 'fx' },
      {
        operation: 'resources/templates/list',
        ok: true,
        count: templates.length,
        fromCache: false,
        server: 'fx',
      },
      { operation: 'prompts/list', ok: true, count: prompts.length, fromCache: false, server: 'fx' },
    ]);
  });
});

describe('the dashboard card after a reconnect (a team on the stdio fixture)', () => {
  it('counts the tools health counts once the list is in again: tools.changed redraws it', async () => {
    const fx = stdioFixture();
    const team = await new MCPTeamBuilder('lists')
      .withLlm(new ScriptedChatModel([{ content: 'unused' }]))
      .withLogger(quietLogger)
      .withMcpServer(fx.command, fx.args, { name: 'fx' })
      .build();
    teams.push(team);
    const model = new DashboardModel(team);
    try {
      const card = () => model.snapshot().servers.find((s) => s.name === 'fx');
      const offered = team.getMcpToolNames().length;
      expect(offered).toBeGreaterThan(0);
      expect(card()?.offered).toHaveLength(offered);
      const server = team.getServer('fx') as ServerConnection;
      const reconnected = reach(server, 'reconnecting').then(() => reach(server, 'ready'));
      const announced = reconnected.then(() =>
        nextEvent(team.events$, 'tools.changed', (e) => e.server === 'fx'),
      );
      process.kill(server.pid as number, 'SIGKILL');
      expect(await announced).toMatchObject({ tools: server.cachedTools?.length });
      expect(card()).toMatchObject({ state: 'ready' });
      expect(card()?.offered).toHaveLength(team.getMcpToolNames().length);
      expect(card()?.offered).toHaveLength(offered);
    } finally {
      model.close();
    }
  });
});
