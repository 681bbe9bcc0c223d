import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { filter, firstValueFrom, from, take, toArray } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { ServerConnection } from '../../src/actors/ServerConnection.js';
import { RuleBasedChatModel } from '../../src/llm/RuleBasedChatModel.js';
import { finalAnswer, type MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { startV2HttpFixture, stopAllFixtures, v2StdioFixture } from '../fixtures/index.js';

const teams: MCPTeam[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
});
afterAll(stopAllFixtures);

/** Resolves when the server is back in `ready` with keepalive `idle` (its keepalive timer armed again). */
async function armed(server: ServerConnection): Promise<void> {
  if (server.actor.getSnapshot().matches({ connected: { health: 'ready', keepalive: 'idle' } })) return;
  await firstValueFrom(
    from(server.actor).pipe(filter((s) => s.matches({ connected: { health: 'ready', keepalive: 'idle' } }))),
  );
}

describe('MCPTeam over 2026-07-28-only servers (Streamable HTTP and stdio)', () => {
  it('builds, runs a RuleBasedChatModel plan through both servers, and keeps them ready through 2 s of keepalive', async () => {
    const clock = new SimulatedClock();
    const fx = await startV2HttpFixture({ era: '2026' });
    const local = v2StdioFixture({ era: '2026' });
    const team = await new MCPTeamBuilder('modern')
      .withLlm(new RuleBasedChatModel())
      .withLogger(quietLogger)
      .withClock(clock)
      .withReconnect({ pingIntervalMs: 250 })
      .withMcpServerHttp(fx.url.href, { name: 'web', connectTimeout: 6 })
      .withMcpServer(local.command, local.args, { name: 'local', connectTimeout: 6 })
      .build();
    teams.push(team);
    const servers = ['web', 'local'].map((name) => team.getServer(name)!);
    for (const server of servers) expect(server.protocol).toEqual({ era: 'modern', version: '2026-07-28' });
    expect(team.state).toBe('ready');
    expect(team.getMcpToolNames()).toEqual(expect.arrayContaining(['web__echo', 'local__echo']));

    const task = 'use: web__echo {"text":"hello over http"}\nuse: local__echo {"text":"hello over stdio"}';
    const { messages } = await team.invoke({ messages: [new HumanMessage(task)] });
    const results = messages.filter((m): m is ToolMessage => m instanceof ToolMessage);
    expect(results.map((m) => [m.status, String(m.content)])).toEqual([
      ['success', expect.stringContaining('hello over http')],
      ['success', expect.stringContaining('hello over stdio')],
    ]);
    expect(finalAnswer(messages)).toMatch(/hello over http[\s\S]*hello over stdio/);

    const states: string[] = [];
    team.events$.subscribe((e) => e.type === 'connection.state' && states.push(`${e.server}:${e.to}`));
    for (let tick = 1; tick <= 8; tick++) {
      await Promise.all(servers.map(armed));
      const pings = firstValueFrom(
        team.events$.pipe(
          filter((e) => e.type === 'server.ping'),
          take(2),
          toArray(),
        ),
      );
      clock.increment(250);
      const answered = await pings;
      expect(answered.map((p) => (p.type === 'server.ping' ? [p.server, p.ok] : [])).sort()).toEqual([
        ['local', true],
        ['web', true],
      ]);
    }
    await Promise.all(servers.map(armed));
    expect(states).toEqual([]);
    expect(servers.map((s) => s.state)).toEqual(['ready', 'ready']);
    expect(team.state).toBe('ready');
  });
});
