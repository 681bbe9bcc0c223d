import type { BaseMessage } from '@langchain/core/messages';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorRecovery } from '../../src/recovery/ErrorRecovery.js';
import { fixInput, tryAlternatives } from '../../src/recovery/recoveryStrategies.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { answeringTeam, cleanupTeamsAfterAll, planTeam, scriptedTeam } from './recoveryKit.js';

cleanupTeamsAfterAll();
let team: MCPTeam;
let backup: MCPTeam;
let fixer: MCPTeam;

const lastHuman = (messages: BaseMessage[]) =>
  String(messages.findLast((m) => m.getType() === 'human')?.content ?? '');

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

describe('ErrorRecovery over real teams', () => {
  it('a turn that works: success, no strategy, one attempt', async () => {
    const run = await new ErrorRecovery(team).executeWithRecovery('use: files__echo {"text":"fine"}');
    expect(run).toMatchObject({ status: 'success', strategy: undefined, attempts: 1 });
    if (run.status === 'success') expect(run.answer).toMatch(/fine/);
  });

  it('input error: re-asks the model with the error, and the model fixes its arguments', async () => {
    const run = await new ErrorRecovery(fixer).executeWithRecovery('Add one and two.');
    expect(run).toMatchObject({ status: 'recovered', strategy: 'fixInput', attempts: 2 });
    if (run.status !== 'recovered') return;
    expect(run.recoveredFrom.kind).toBe('input');
    expect(run.answer).toBe('result: 3');
    expect(run.steps.map((s) => [s.strategy, s.ok])).toEqual([
      ['initial', false],
      ['fixInput', true],
    ]);
    expect(run.steps[1]?.task).toMatch(/The previous attempt failed: .*input/s);
  });

  it('input error with a user hook that cleans the input; a hook that gives up fails at once', async () => {
    const bad = 'use: files__add {"a":"one","b":2}';
    const cleaned = await new ErrorRecovery(team, {
      strategies: { input: fixInput({ rewrite: (task) => task.replace('"one"', '1') }) },
    }).executeWithRecovery(bad);
    expect(cleaned).toMatchObject({ status: 'recovered', strategy: 'fixInput', attempts: 2 });
    if (cleaned.status === 'recovered') expect(cleaned.answer).toMatch(/3/);

    const givingUp = await new ErrorRecovery(team, {
      strategies: { input: fixInput({ rewrite: () => undefined }) },
    }).executeWithRecovery(bad);
    expect(givingUp).toMatchObject({
      status: 'failed',
      strategy: 'fixInput',
      errorType: 'input',
      attempts: 1,
    });
  });

  it('timeout: splits the task into subtasks that each fit the turn budget', async () => {
    const task =
      'use: files__slow {"ms":700}\nuse: files__echo {"text":"second step"}\nuse: files__slow {"ms":650}';
    const run = await new ErrorRecovery(team, { timeoutMs: 1_200 }).executeWithRecovery(task);
    expect(run).toMatchObject({ status: 'recovered', strategy: 'splitIntoSubtasks', attempts: 4 });
    if (run.status !== 'recovered') return;
    expect(run.recoveredFrom.kind).toBe('timeout');
    expect(run.steps.slice(1).map((s) => s.task)).toEqual(task.split('\n'));
    expect(run.answer).toMatch(/^1\. .*slept 700.*\n2\. .*second step.*\n3\. /s);
  });

  it('a task that cannot be split fails with the timeout, bounded', async () => {
    const run = await new ErrorRecovery(team, { timeoutMs: 200 }).executeWithRecovery('use: files__hang {}');
    expect(run).toMatchObject({
      status: 'failed',
      strategy: 'splitIntoSubtasks',
      errorType: 'timeout',
      attempts: 1,
    });
  });

  it('tool failure: tries the alternative team, and says which team answered', async () => {
    const run = await new ErrorRecovery(team, {
      strategies: { tool: tryAlternatives({ teams: [backup] }) },
    }).executeWithRecovery('use: files__fail {"message":"quota exceeded"}');
    expect(run).toMatchObject({ status: 'recovered', strategy: 'tryAlternatives', attempts: 2 });
    if (run.status !== 'recovered') return;
    expect(run.answer).toBe('answered by the backup team');
    expect(run.recoveredFrom.message).toMatch(/quota exceeded/);
    expect(run.steps.map((s) => s.team)).toEqual(['primary', 'backup']);
  });

  it('by default the alternative is the same team told to avoid the failing server; it stays bounded', async () => {
    const run = await new ErrorRecovery(team).executeWithRecovery('use: files__fail {}');
    expect(run).toMatchObject({
      status: 'failed',
      strategy: 'tryAlternatives',
      errorType: 'tool',
      attempts: 2,
    });
    expect(run.steps[1]?.task).toMatch(/Do not rely on the "files" server/);
  });

  it('kinds without a strategy, and cancellations, fail at once; a throwing strategy fails typed', async () => {
    const off = await new ErrorRecovery(team, { strategies: { tool: null } }).executeWithRecovery(
      'use: files__fail {}',
    );
    expect(off).toMatchObject({ status: 'failed', strategy: undefined, attempts: 1 });

    const broken = await new ErrorRecovery(team, {
      strategies: {
        tool: {
          name: 'exploding',
          recover: () => Promise.reject(new Error('strategy bug')),
        },
      },
    }).executeWithRecovery('use: files__fail {}');
    expect(broken).toMatchObject({ status: 'failed', strategy: 'exploding' });
    if (broken.status === 'failed') expect(broken.error.message).toMatch(/strategy bug/);

    const controller = new AbortController();
    const sub = team.events$.subscribe((e) => {
      if (e.type === 'call.started' && e.tool === 'hang') controller.abort();
    });
    const cancelled = await new ErrorRecovery(team).executeWithRecovery('use: files__hang {}', {
      signal: controller.signal,
    });
    sub.unsubscribe();
    expect(cancelled).toMatchObject({
      status: 'failed',
      errorType: 'cancelled',
      strategy: undefined,
      attempts: 1,
    });
  });
});
