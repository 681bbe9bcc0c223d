import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CachedFallback } from '../../src/fallback/CachedFallback.js';
import { DynamicFallback } from '../../src/fallback/DynamicFallback.js';
import { FallbackChain } from '../../src/fallback/FallbackChain.js';
import { SqliteCacheStore } from '../../src/fallback/SqliteCacheStore.js';
import { teamAnswerCodec, teamExecutor } from '../../src/fallback/teamExecutor.js';
import { ScriptedChatModel, type ScriptTurn } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const teams: MCPTeam[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
afterAll(stopAllFixtures);

const lastText = (messages: BaseMessage[]) => String(messages.at(-1)?.content);

/** A team over one fixture server `server`, whose model plays `script`. */
async function team(name: string, server: string, script: ScriptTurn[], faults: string[] = []) {
  const fx = stdioFixture({ faults });
  const model = new ScriptedChatModel(script);
  const built = await new MCPTeamBuilder(name)
    .withLlm(model)
    .withLogger(quietLogger)
    .withMcpServer(fx.command, fx.args, { name: server, optional: faults.length > 0 })
    .skipFailedServers(true)
    .build();
  teams.push(built);
  return { team: built, model };
}

/** Two turns: call `tool` with `args`, then answer with what it returned. */
function callThenAnswer(tool: string, args: Record<string, unknown>, label: string): ScriptTurn[] {
  return [
    { toolCalls: [{ name: tool, args }] },
    (messages) => ({ content: `${label}: ${lastText(messages)}` }),
  ];
}

describe('fallbacks over real teams (stdio fixture servers, scripted models)', () => {
  it('DynamicFallback: the primary team’s only server crashes mid-task, the fallback team answers', async () => {
    const [primary, backup] = await Promise.all([
      team('primary', 'alpha', callThenAnswer('alpha__crash', {}, 'primary')),
      team('backup', 'beta', callThenAnswer('beta__echo', { text: 'from backup' }, 'backup')),
    ]);
    const dynamic = new DynamicFallback(teamExecutor(primary.team), teamExecutor(backup.team));

    const result = await dynamic.execute('Process data');
    expect(result.status).toBe('degraded');
    if (result.status !== 'degraded') return;
    expect(result.source).toBe('fallback');
    expect(result.reason).toBe('connection');
    expect(result.error.server).toBe('alpha');
    expect(result.value).toMatchObject({ team: 'backup', answer: 'backup: from backup' });
    expect(result.value.messages.map((m) => m.getType())).toEqual(['human', 'ai', 'tool', 'ai']);
    // The primary's model did read the failure and answer; the executor judged the answer incomplete.
    expect(primary.model.position).toBe(2);
  });

  it('FallbackChain: a team whose only server is dead fails fast without calling its model', async () => {
    const [dead, alsoDead, live] = await Promise.all([
      team('dead', 'gone', [], ['exit-immediately']),
      team('also-dead', 'gone2', [], ['exit-immediately']),
      team('local', 'local', callThenAnswer('local__add', { a: 2, b: 3 }, 'sum')),
    ]);

    const result = await new FallbackChain([
      teamExecutor(dead.team),
      teamExecutor(alsoDead.team),
      teamExecutor(live.team),
    ]).execute('add 2 and 3');
    expect(result).toMatchObject({ status: 'degraded', source: 'local', reason: 'connection' });
    expect(result.status === 'degraded' && result.value.answer).toBe('sum: 5');
    expect(result.attempts.map((a) => `${a.source}:${a.ok ? 'ok' : a.error?.code}`)).toEqual([
      'dead:NO_SERVER_AVAILABLE',
      'also-dead:NO_SERVER_AVAILABLE',
      'local:ok',
    ]);
    expect(result.attempts[0]?.error?.message).toMatch(/Team "dead" has no server available \(gone: /);
    expect(dead.model.calls).toHaveLength(0);

    const allDead = await new FallbackChain([teamExecutor(dead.team), teamExecutor(alsoDead.team)]).execute(
      'x',
    );
    expect(allDead.status).toBe('failed');
    expect(allDead.error?.message).toMatch(
      /Every source failed \(2 tried\):\n {2}1\. dead .*\n {2}2\. also-dead /,
    );
  });

  it('CachedFallback: a team answer cached in SQLite is served when the same task later fails', async () => {
    const script: ScriptTurn[] = [
      ...callThenAnswer('alpha__echo', { text: 'quarterly numbers' }, 'report'),
      ...callThenAnswer('alpha__crash', {}, 'broken'),
    ];
    const { team: reports } = await team('reports', 'alpha', script);
    const dir = mkdtempSync(join(tmpdir(), 'azcore-team-cache-'));
    dirs.push(dir);
    const store = new SqliteCacheStore({ path: join(dir, 'answers.sqlite') });
    const cached = new CachedFallback(teamExecutor(reports), {
      store,
      codec: teamAnswerCodec,
      namespace: 'reports',
    });
    try {
      const live = await cached.execute('Analyze data');
      expect(live).toMatchObject({
        status: 'success',
        source: 'live',
        value: { answer: 'report: quarterly numbers' },
      });
      expect(live.status === 'success' && live.cacheError).toBeUndefined();

      const served = await cached.execute('Analyze data');
      expect(served).toMatchObject({ status: 'degraded', source: 'cache', reason: 'connection' });
      if (served.status !== 'degraded') return;
      expect(served.value.answer).toBe('report: quarterly numbers');
      const [human, ai, tool] = served.value.messages;
      expect(human).toBeInstanceOf(HumanMessage);
      expect(ai).toBeInstanceOf(AIMessage);
      expect(tool).toBeInstanceOf(ToolMessage);
      expect((ai as AIMessage).tool_calls?.[0]?.name).toBe('alpha__echo');
    } finally {
      store.close();
    }
  });

  it('failOn decides which tool failures fail the turn', async () => {
    const script = (n: number): ScriptTurn[] =>
      Array.from({ length: n }, () =>
        callThenAnswer('alpha__fail', { message: 'no such row' }, 'answered'),
      ).flat();
    const { team: t } = await team('tools', 'alpha', script(3));
    const byDefault = await teamExecutor(t)('look it up');
    expect(byDefault.answer).toMatch(/^answered: .*no such row/);
    await expect(teamExecutor(t, { failOn: 'anyToolError' })('look it up')).rejects.toMatchObject({
      kind: 'tool',
      server: 'alpha',
    });
    await expect(teamExecutor(t, { failOn: 'never' })('look it up')).resolves.toMatchObject({
      team: 'tools',
    });
  });
});
