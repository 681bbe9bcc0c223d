import { beforeAll, describe, expect, it } from 'vitest';
import { executeSafely } from '../../src/recovery/executeSafely.js';
import { constantBackoff } from '../../src/resilience/backoff.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { executeWithValidation } from '../../src/validation/executeWithValidation.js';
import { answeringTeam, cleanupTeamsAfterAll, planTeam } from './recoveryKit.js';

cleanupTeamsAfterAll();
let team: MCPTeam;
beforeAll(async () => {
  team = await planTeam('safe');
});

describe('executeSafely on a real team', () => {
  it('resolves success with the answer, the conversation and the tool failures the model saw', async () => {
    const run = await executeSafely(
      team,
      'use: files__echo {"text":"hello"}\nuse: files__fail {"message":"disk full"}',
    );
    expect(run.status).toBe('success');
    if (run.status !== 'success') return;
    expect(run.answer).toMatch(/hello/);
    expect(run.attempts).toBe(1);
    expect(run.result.messages.length).toBeGreaterThan(2);
    expect(run.toolFailures).toHaveLength(1);
    expect(run.toolFailures[0]).toMatchObject({ tool: 'files__fail', server: 'files' });
    expect(run.toolFailures[0]?.error.kind).toBe('tool');
  });

  it('a turn past its budget resolves failed with a TimeoutError (the hanging call is cancelled)', async () => {
    const run = await executeSafely(team, 'use: files__hang {}', { timeoutMs: 300 });
    expect(run).toMatchObject({ status: 'failed', errorType: 'timeout', attempts: 1 });
    if (run.status === 'failed') expect(run.error.message).toMatch(/300 ms/);
  });

  it('retries retryable failures with the given backoff, up to maxAttempts', async () => {
    const retries: number[] = [];
    const run = await executeSafely(team, 'use: files__hang {}', {
      timeoutMs: 200,
      maxAttempts: 2,
      backoff: constantBackoff({ baseMs: 0 }),
      onRetry: (info) => retries.push(info.attempt),
    });
    expect(run).toMatchObject({ status: 'failed', errorType: 'timeout', attempts: 2 });
    expect(retries).toEqual([1]);
  });

  it('aborting the signal mid-call is a cancellation and is never retried', async () => {
    const controller = new AbortController();
    const sub = team.events$.subscribe((e) => {
      if (e.type === 'call.started' && e.tool === 'hang') controller.abort();
    });
    const run = await executeSafely(team, 'use: files__hang {}', {
      signal: controller.signal,
      maxAttempts: 3,
    });
    sub.unsubscribe();
    expect(run).toMatchObject({ status: 'failed', errorType: 'cancelled', attempts: 1 });
  });

  it('a closed team is a typed connection failure that says to build a new team', async () => {
    const closed = await answeringTeam('closed-team', 'never');
    await closed.cleanup();
    const run = await executeSafely(closed, 'anything', { maxAttempts: 3 });
    expect(run).toMatchObject({ status: 'failed', errorType: 'connection', attempts: 1 });
    if (run.status === 'failed') expect(run.error.message).toMatch(/Build a new team/);
  });
});

describe('executeWithValidation', () => {
  it('rejects bad input without calling the team, listing every problem', async () => {
    const run = await executeWithValidation(team, '', { target: 1 }, { params: { required: ['action'] } });
    expect(run).toMatchObject({ status: 'failed', errorType: 'input', attempts: 0 });
    if (run.status === 'failed') {
      expect(run.error.message).toMatch(/Parameter 'task' is too short/);
      expect(run.error.message).toMatch(/Missing required keys: action/);
    }
  });

  it('passes the validated params on to the team (the guide dropped them)', async () => {
    const run = await executeWithValidation(
      team,
      'use: files__echo',
      { text: 'from params' },
      { params: { required: ['text'], fields: { text: { type: 'string', maxLength: 50 } } } },
    );
    expect(run.status).toBe('success');
    if (run.status === 'success') {
      expect(String(run.result.messages[0]?.content)).toMatch(
        /Parameters \(JSON\): \{"text":"from params"\}/,
      );
    }
  });
});
