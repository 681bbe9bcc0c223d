import type { BaseMessage, BaseMessageLike } from '@langchain/core/messages';
import { beforeAll, describe, expect, it } from 'vitest';
import { retry } from '../../src/policy/retry.js';
import { wrap } from '../../src/policy/wrap.js';
import type { InvokableTeam } from '../../src/recovery/InvokableTeam.js';
import { recover } from '../../src/recovery/recover.js';
import { fixInput, tryAlternatives } from '../../src/recovery/recoveryStrategies.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { answeringTeam, cleanupTeamsAfterAll, planTeam, scriptedTeam } from './recoveryKit.js';

cleanupTeamsAfterAll();
let team: MCPTeam;
let backup: MCPTeam;
let fixer: MCPTeam;

const lastHuman = (messages: readonly BaseMessage[]) =>
  String(messages.findLast((m) => m.getType() === 'human')?.content ?? '');
const trail = (attempts: readonly { source: string; ok: boolean; error?: { kind: string } | undefined }[]) =>
  attempts.map((a) => `${a.source}:${a.ok ? 'ok' : a.error?.kind}`);

/** The real team, with the task text of every turn it is sent written down. */
function recording(inner: MCPTeam): { team: InvokableTeam; tasks: string[] } {
  const tasks: string[] = [];
  return {
    tasks,
    team: {
      name: inner.name,
      invoke: (input, options) => {
        const [first] = input.messages as [BaseMessageLike];
        tasks.push(Array.isArray(first) ? String(first[1]) : String(first));
        return inner.invoke(input, options);
      },
    },
  };
}

beforeAll(async () => {
  [team, backup, fixer] = await Promise.all([
    planTeam('primary'),
    answeringTeam('backup', 'answered by the backup team'),
    // Calls add with a bad argument; told what was wrong, it calls it correctly.
    scriptedTeam('fixer', [
      (messages) => {
        const last = messages.at(-1);
        if (last?.getType() === 'tool') return { content: `result: ${String(last.content)}` };
        const told = /previous attempt failed/.test(lastHuman(messages));
        return { toolCalls: [{ name: 'files__add', args: told ? { a: 1, b: 2 } : { a: 'one', b: 2 } }] };
      },
    ]),
  ]);
});

describe('team.run(task, { policy: recover(team, task) }) over real teams', () => {
  it('a turn that works: success from the team, one attempt, no strategy ran', async () => {
    const task = 'use: files__echo {"text":"fine"}';
    const outcome = await team.run(task, { policy: recover(team, task) });
    expect(outcome).toMatchObject({ status: 'success', source: 'team' });
    expect(trail(outcome.attempts)).toEqual(['team:ok']);
    if (outcome.status === 'success') expect(outcome.value.answer).toMatch(/fine/);
  });

  it('input error: re-asks the model with the error, and the model fixes its arguments', async () => {
    const task = 'Add one and two.';
    const outcome = await fixer.run(task, { policy: recover(fixer, task) });
    expect(outcome).toMatchObject({ status: 'degraded', source: 'fixInput', error: { kind: 'input' } });
    if (outcome.status !== 'degraded') return;
    expect(outcome.value.answer).toBe('result: 3');
    expect(outcome.value.team).toBe('fixer');
    expect(trail(outcome.attempts)).toEqual(['team:ok', 'team:input', 'fixInput:ok']);
    expect(outcome.reasons).toEqual([expect.stringMatching(/^team failed: input /)]);
    expect(lastHuman(outcome.value.messages)).toMatch(/The previous attempt failed: .*input/s);
  });

  it('input error with a user hook that cleans the input; a hook that gives up fails at once', async () => {
    const bad = 'use: files__add {"a":"one","b":2}';
    const cleaning = { input: fixInput({ rewrite: (task) => task.replace('"one"', '1') }) };
    const cleaned = await team.run(bad, { policy: recover(team, bad, { strategies: cleaning }) });
    expect(cleaned).toMatchObject({ status: 'degraded', source: 'fixInput' });
    expect(trail(cleaned.attempts)).toEqual(['team:ok', 'team:input', 'fixInput:ok']);
    if (cleaned.status === 'degraded') expect(cleaned.value.answer).toMatch(/3/);

    const givingUp = { input: fixInput({ rewrite: () => undefined }) };
    const failed = await team.run(bad, { policy: recover(team, bad, { strategies: givingUp }) });
    expect(failed).toMatchObject({ status: 'failed', error: { kind: 'input' } });
    expect(trail(failed.attempts)).toEqual(['team:ok', 'team:input']);
  });

  it('timeout: splits the task into subtasks that each fit the turn budget', async () => {
    const task =
      'use: files__slow {"ms":700}\nuse: files__echo {"text":"second step"}\nuse: files__slow {"ms":650}';
    const spy = recording(team);
    const outcome = await team.run(task, {
      timeoutMs: 1_200,
      policy: recover(spy.team, task, { timeoutMs: 1_200 }),
    });
    expect(outcome).toMatchObject({
      status: 'degraded',
      source: 'splitIntoSubtasks',
      error: { kind: 'timeout' },
    });
    expect(trail(outcome.attempts)).toEqual([
      'team:timeout',
      'splitIntoSubtasks:ok',
      'splitIntoSubtasks:ok',
      'splitIntoSubtasks:ok',
    ]);
    expect(spy.tasks).toEqual(task.split('\n'));
    if (outcome.status !== 'degraded') return;
    expect(outcome.value.answer).toMatch(/^1\. .*slept 700.*\n2\. .*second step.*\n3\. /s);
  });

  it('a task that cannot be split fails with the timeout, bounded', async () => {
    const task = 'use: files__hang {}';
    const outcome = await team.run(task, { timeoutMs: 200, policy: recover(team, task, { timeoutMs: 200 }) });
    expect(outcome).toMatchObject({ status: 'failed', error: { kind: 'timeout' } });
    expect(trail(outcome.attempts)).toEqual(['team:timeout']);
  });

  it('tool failure: tries the alternative team, and says which team answered', async () => {
    const task = 'use: files__fail {"message":"quota exceeded"}';
    const outcome = await team.run(task, {
      policy: recover(team, task, { strategies: { tool: tryAlternatives({ teams: [backup] }) } }),
    });
    expect(outcome).toMatchObject({ status: 'degraded', source: 'tryAlternatives' });
    if (outcome.status !== 'degraded') return;
    expect(outcome.value).toMatchObject({ team: 'backup', answer: 'answered by the backup team' });
    expect(outcome.error.message).toMatch(/quota exceeded/);
    expect(trail(outcome.attempts)).toEqual(['team:ok', 'team:tool', 'tryAlternatives@backup:ok']);
  });

  it('by default the alternative is the same team told to avoid the failing server; it stays bounded', async () => {
    const task = 'use: files__fail {}';
    const spy = recording(team);
    const outcome = await team.run(task, { policy: recover(spy.team, task) });
    expect(outcome).toMatchObject({ status: 'failed', error: { kind: 'tool' } });
    expect(trail(outcome.attempts)).toEqual(['team:ok', 'team:tool', 'tryAlternatives:tool']);
    expect(spy.tasks).toHaveLength(1);
    expect(spy.tasks[0]).toMatch(/Do not rely on the "files" server/);
  });

  it('kinds without a strategy, and cancellations, fail at once; a throwing strategy fails typed', async () => {
    const task = 'use: files__fail {}';
    const off = await team.run(task, { policy: recover(team, task, { strategies: { tool: null } }) });
    expect(off).toMatchObject({ status: 'failed', error: { kind: 'tool' } });
    expect(trail(off.attempts)).toEqual(['team:ok', 'team:tool']);

    const exploding = { name: 'exploding', recover: () => Promise.reject(new Error('strategy bug')) };
    const broken = await team.run(task, { policy: recover(team, task, { strategies: { tool: exploding } }) });
    expect(broken).toMatchObject({ status: 'failed' });
    if (broken.status === 'failed') expect(broken.error.message).toMatch(/strategy bug/);
    expect(broken.attempts.at(-1)).toMatchObject({ source: 'exploding', ok: false });

    const controller = new AbortController();
    const sub = team.events$.subscribe((e) => {
      if (e.type === 'call.started' && e.tool === 'hang') controller.abort();
    });
    const hang = 'use: files__hang {}';
    const cancelled = await team.run(hang, { signal: controller.signal, policy: recover(team, hang) });
    sub.unsubscribe();
    expect(cancelled).toMatchObject({ status: 'failed', error: { kind: 'cancelled' } });
    expect(trail(cancelled.attempts)).toEqual(['team:cancelled']);
  });

  it('composes with wrap: retries inside run first, recovery answers after they give up', async () => {
    const task = 'use: files__hang {}\nuse: files__echo {"text":"after"}';
    const outcome = await team.run(task, {
      timeoutMs: 150,
      policy: wrap(
        recover(team, task, {
          strategies: { timeout: tryAlternatives({ teams: [backup], rephrase: false }) },
        }),
        retry({ maxAttempts: 2, backoff: { strategy: 'constant', baseMs: 1 } }),
      ),
    });
    expect(outcome).toMatchObject({
      status: 'degraded',
      source: 'tryAlternatives',
      error: { kind: 'timeout' },
    });
    expect(trail(outcome.attempts)).toEqual(['team:timeout', 'team:timeout', 'tryAlternatives@backup:ok']);
    expect(outcome.reasons).toEqual([
      'team failed: timeout TIMEOUT',
      'team failed (attempt 2): timeout TIMEOUT',
    ]);
  });
});
