import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ToolError } from '../../src/errors/ToolError.js';
import { cached } from '../../src/fallback/cached.js';
import { SqliteCacheStore } from '../../src/fallback/SqliteCacheStore.js';
import { ScriptedChatModel, type ScriptTurn } from '../../src/llm/ScriptedChatModel.js';
import { dynamic } from '../../src/policy/dynamic.js';
import { fallback } from '../../src/policy/fallback.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { teamAnswerCodec } from '../../src/team/teamAnswerCodec.js';
import { teamExecutor } from '../../src/team/teamExecutor.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const teams: MCPTeam[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
afterAll(stopAllFixtures);

/** A team's turn on `task` as a fallback source named after the team. */
const turnOf = (t: MCPTeam, task: string) => dynamic((ctx) => teamExecutor(t)(task, ctx), { name: t.name });

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
  it('fallback(dynamic): the primary team’s only server crashes mid-task, the fallback team answers', async () => {
    const [primary, backup] = await Promise.all([
      team('primary', 'alpha', callThenAnswer('alpha__crash', {}, 'primary')),
      team('backup', 'beta', callThenAnswer('beta__echo', { text: 'from backup' }, 'backup')),
    ]);
    const backupSource = dynamic((ctx) => teamExecutor(backup.team)('Process data', ctx));

    const result = await primary.team.run('Process data', {
      failOn: 'serverErrors',
      policy: fallback(backupSource),
    });
    expect(result.status).toBe('degraded');
    if (result.status !== 'degraded') return;
    expect(result.source).toBe('fallback');
    expect(result.error.kind).toBe('connection');
    expect(result.error.server).toBe('alpha');
    expect(result.value).toMatchObject({ team: 'backup', answer: 'backup: from backup' });
    expect(result.value.messages.map((m) => m.getType())).toEqual(['human', 'ai', 'tool', 'ai']);
    // The primary's model did read the failure and answer; failOn judged the answer incomplete.
    expect(primary.model.position).toBe(2);
  });

  it('fallback with several sources: a team whose only server is dead fails fast without calling its model', async () => {
    const [dead, alsoDead, live] = await Promise.all([
      team('dead', 'gone', [], ['exit-immediately']),
      team('also-dead', 'gone2', [], ['exit-immediately']),
      team('local', 'local', callThenAnswer('local__add', { a: 2, b: 3 }, 'sum')),
    ]);

    const task = 'add 2 and 3';
    const result = await dead.team.run(task, {
      failOn: 'serverErrors',
      policy: fallback(turnOf(alsoDead.team, task), turnOf(live.team, task)),
    });
    expect(result).toMatchObject({ status: 'degraded', source: 'local', error: { kind: 'connection' } });
    expect(result.status === 'degraded' && result.value.answer).toBe('sum: 5');
    expect(result.reasons).toEqual([
      'team failed: connection NO_SERVER_AVAILABLE',
      'also-dead failed: connection NO_SERVER_AVAILABLE',
    ]);
    expect(result.attempts.map((a) => `${a.source}:${a.ok ? 'ok' : a.error?.code}`)).toEqual([
      'team:NO_SERVER_AVAILABLE',
      'also-dead:NO_SERVER_AVAILABLE',
      'local:ok',
    ]);
    expect(result.attempts[0]?.error?.message).toMatch(/Team "dead" has no server available \(gone: /);
    expect(dead.model.calls).toHaveLength(0);

    const allDead = await dead.team.run('x', {
      failOn: 'serverErrors',
      policy: fallback(turnOf(alsoDead.team, 'x')),
    });
    expect(allDead.status).toBe('failed');
    expect(allDead.error?.message).toMatch(
      /Every source failed \(2 tried\):\n {2}1\. team .*\n {2}2\. also-dead /,
    );
  });

  it('fallback(cached): a team answer cached in SQLite is served when the same task later fails', async () => {
    const script: ScriptTurn[] = [
      ...callThenAnswer('alpha__echo', { text: 'quarterly numbers' }, 'report'),
      ...callThenAnswer('alpha__crash', {}, 'broken'),
    ];
    const { team: reports } = await team('reports', 'alpha', script);
    const dir = mkdtempSync(join(tmpdir(), 'azcore-team-cache-'));
    dirs.push(dir);
    const store = new SqliteCacheStore({ path: join(dir, 'answers.sqlite') });
    const ask = (task: string) =>
      reports.run(task, {
        failOn: 'serverErrors',
        policy: fallback(cached(store, { key: task, codec: teamAnswerCodec, namespace: 'reports' })),
      });
    try {
      const live = await ask('Analyze data');
      expect(live).toMatchObject({
        status: 'success',
        source: 'team',
        value: { answer: 'report: quarterly numbers', toolFailures: [] },
      });
      expect(live.warnings).toBeUndefined();

      const served = await ask('Analyze data');
      expect(served).toMatchObject({ status: 'degraded', source: 'cache', error: { kind: 'connection' } });
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
    const { team: t } = await team('tools', 'alpha', script(4));
    const byDefault = await teamExecutor(t)('look it up');
    expect(byDefault.answer).toMatch(/^answered: .*no such row/);
    expect(byDefault.toolFailures.map((f) => [f.tool, f.server, f.error.kind])).toEqual([
      ['alpha__fail', 'alpha', 'tool'],
    ]);
    await expect(teamExecutor(t, { failOn: 'anyToolError' })('look it up')).rejects.toMatchObject({
      kind: 'tool',
      server: 'alpha',
    });
    await expect(teamExecutor(t, { failOn: 'never' })('look it up')).resolves.toMatchObject({
      team: 'tools',
    });
    const strict = await t.run('look it up', { failOn: 'anyToolError' });
    expect(strict).toMatchObject({ status: 'failed', error: { kind: 'tool', server: 'alpha' } });
    expect(strict.reasons).toEqual(['team failed: tool TOOL_ERROR']);

    // A cached answer keeps its tool failures, typed again after a JSON round trip.
    const restored = teamAnswerCodec.decode(JSON.parse(JSON.stringify(teamAnswerCodec.encode(byDefault))));
    expect(restored.toolFailures).toHaveLength(1);
    const [failure] = restored.toolFailures;
    expect(failure).toMatchObject({ tool: 'alpha__fail', server: 'alpha' });
    expect(failure?.error).toBeInstanceOf(ToolError);
    expect(failure?.error.toJSON()).toEqual(byDefault.toolFailures[0]?.error.toJSON());
    expect(restored.messages.map((m) => m.getType())).toEqual(byDefault.messages.map((m) => m.getType()));
    expect(() =>
      teamAnswerCodec.decode({ team: 't', answer: 'a', messages: [], toolFailures: [{}] }),
    ).toThrow(/wrong shape/);
  });
});
