import { filter, firstValueFrom, type Observable, take, toArray } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { DEFAULT_MAX_CONCURRENT_CALLS } from '../../src/team/callLimits.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { startHttpFixture, stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const teams: MCPTeam[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
});
afterAll(stopAllFixtures);

const startedOn = (events$: Observable<RuntimeEvent>, server: string) =>
  events$.pipe(filter((e) => e.type === 'call.started' && e.server === server));

/**
 * The limit the team applies to `server`, seen from the server's side: `limit + 1` calls of the
 * fixture's `hang` tool (which never replies) go out at once; exactly `limit` start, and the last
 * one starts only after the first is cancelled and its slot freed. Returns the number that started
 * before the cancellation.
 */
async function observedLimit(team: MCPTeam, server: string, limit: number): Promise<number> {
  const hang = (await team.getTools(server)).find((t) => t.name === `${server}__hang`);
  if (!hang) throw new Error(`${server} has no hang tool`);
  const order: string[] = [];
  const sub = team.events$.subscribe((e) => {
    if ((e.type === 'call.started' || e.type === 'call.failed') && e.server === server) order.push(e.type);
  });
  const firstLimit = firstValueFrom(startedOn(team.events$, server).pipe(take(limit), toArray()));
  const first = new AbortController();
  const calls = Array.from({ length: limit + 1 }, (_, i) =>
    hang.invoke({}, i === 0 ? { signal: first.signal } : {}).catch(() => undefined),
  );
  await firstLimit;
  const oneMore = firstValueFrom(startedOn(team.events$, server));
  first.abort();
  await oneMore;
  await calls[0];
  sub.unsubscribe();
  // Nothing else started until the first call ended: it failed (cancelled), then the last one started.
  expect(order.slice(limit)).toEqual(['call.failed', 'call.started']);
  return order.slice(0, limit).filter((t) => t === 'call.started').length;
}

describe('per-server concurrency limits', () => {
  it('each transport gets its default limit, and a server or the team overrides it', async () => {
    const http = await startHttpFixture();
    const fx = stdioFixture();
    const team = await new MCPTeamBuilder('limits')
      .withLlm(new ScriptedChatModel([{ content: 'ok' }]))
      .withLogger(quietLogger)
      .withMcpServer(fx.command, fx.args, { name: 'local' })
      .withMcpServerHttp(http.url.href, { name: 'remote' })
      .withMcpServerSse(http.sseUrl.href, { name: 'legacy' })
      .withMcpServerHttp(http.url.href, { name: 'capped', maxConcurrentCalls: 2 })
      .build();
    teams.push(team);
    expect(DEFAULT_MAX_CONCURRENT_CALLS).toEqual({ streamableHttp: 32, sse: 32, stdio: 16 });
    await expect(observedLimit(team, 'local', DEFAULT_MAX_CONCURRENT_CALLS.stdio)).resolves.toBe(16);
    await expect(observedLimit(team, 'remote', DEFAULT_MAX_CONCURRENT_CALLS.streamableHttp)).resolves.toBe(
      32,
    );
    await expect(observedLimit(team, 'legacy', DEFAULT_MAX_CONCURRENT_CALLS.sse)).resolves.toBe(32);
    await expect(observedLimit(team, 'capped', 2)).resolves.toBe(2);

    const teamWide = await new MCPTeamBuilder('limits_team')
      .withLlm(new ScriptedChatModel([{ content: 'ok' }]))
      .withLogger(quietLogger)
      .withMaxConcurrentCallsPerServer(3)
      .withMcpServer(fx.command, fx.args, { name: 'local' })
      .withMcpServerHttp(http.url.href, { name: 'own', maxConcurrentCalls: 1 })
      .build();
    teams.push(teamWide);
    await expect(observedLimit(teamWide, 'local', 3)).resolves.toBe(3);
    await expect(observedLimit(teamWide, 'own', 1)).resolves.toBe(1);
  });

  it('a limit that is not a whole number >= 1 is a configuration error naming it', async () => {
    const fx = stdioFixture();
    const base = () =>
      new MCPTeamBuilder('bad').withLlm(new ScriptedChatModel([{ content: 'ok' }])).withLogger(quietLogger);
    await expect(
      base().withMaxConcurrentCallsPerServer(0).withMcpServer(fx.command, fx.args).build(),
    ).rejects.toThrow(/withMaxConcurrentCallsPerServer\(0\): use a whole number >= 1/);
    await expect(
      base().withMcpServer(fx.command, fx.args, { name: 'x', maxConcurrentCalls: 2.5 }).build(),
    ).rejects.toThrow(/Server "x": maxConcurrentCalls 2.5 must be a whole number >= 1/);
  });
});
