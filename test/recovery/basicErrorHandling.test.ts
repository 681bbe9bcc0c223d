import { beforeAll, describe, expect, it } from 'vitest';
import { retry } from '../../src/policy/retry.js';
import { constantBackoff } from '../../src/resilience/backoff.js';
import type { RetryAttempt } from '../../src/resilience/retry.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { answeringTeam, cleanupTeamsAfterAll, planTeam } from './recoveryKit.js';

// The guide's basic handling and safe_execute on the one runner: team.run(task, { policy, timeoutMs, signal }).
cleanupTeamsAfterAll();
let team: MCPTeam;
beforeAll(async () => {
  team = await planTeam('safe');
});

describe('team.run as basic error handling, on a real team', () => {
  it('resolves the answer, the conversation and the tool failures the model saw (degraded by them)', async () => {
    const outcome = await team.run(
      'use: files__echo {"text":"hello"}\nuse: files__fail {"message":"disk full"}',
    );
    expect(outcome.status).toBe('degraded');
    if (outcome.status === 'failed') return;
    expect(outcome.source).toBe('team');
    expect(outcome.value.answer).toMatch(/hello/);
    expect(outcome.attempts).toHaveLength(1);
    expect(outcome.value.messages.length).toBeGreaterThan(2);
    expect(outcome.value.toolFailures).toHaveLength(1);
    expect(outcome.value.toolFailures[0]).toMatchObject({ tool: 'files__fail', server: 'files' });
    expect(outcome.value.toolFailures[0]?.error.kind).toBe('tool');
    expect(outcome.error?.kind).toBe('tool');
  });

  it('a turn with no failed tool call is success', async () => {
    const outcome = await team.run('use: files__echo {"text":"fine"}');
    expect(outcome).toMatchObject({ status: 'success', source: 'team' });
    expect(outcome.attempts).toHaveLength(1);
    if (outcome.status === 'success') expect(outcome.value.toolFailures).toEqual([]);
  });

  it('a turn past its budget resolves failed with a TimeoutError (the hanging call is cancelled)', async () => {
    const outcome = await team.run('use: files__hang {}', { timeoutMs: 300 });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.kind).toBe('timeout');
    expect(outcome.error?.message).toMatch(/300 ms/);
    expect(outcome.attempts).toHaveLength(1);
  });

  it('retry({ maxAttempts, backoff }) retries retryable failures with the given backoff, up to maxAttempts', async () => {
    const retries: number[] = [];
    const outcome = await team.run('use: files__hang {}', {
      timeoutMs: 200,
      policy: retry({
        maxAttempts: 2,
        backoff: constantBackoff({ baseMs: 0 }),
        onRetry: (info: RetryAttempt) => retries.push(info.attempt),
      }),
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.kind).toBe('timeout');
    expect(outcome.attempts.map((a) => [a.attempt, a.ok, a.error?.kind])).toEqual([
      [1, false, 'timeout'],
      [2, false, 'timeout'],
    ]);
    expect(retries).toEqual([1]);
  });

  it('aborting the signal mid-call is a cancellation and is never retried', async () => {
    const controller = new AbortController();
    const sub = team.events$.subscribe((e) => {
      if (e.type === 'call.started' && e.tool === 'hang') controller.abort();
    });
    const outcome = await team.run('use: files__hang {}', {
      signal: controller.signal,
      policy: retry({ maxAttempts: 3 }),
    });
    sub.unsubscribe();
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.kind).toBe('cancelled');
    expect(outcome.attempts).toHaveLength(1);
  });

  it('a closed team is a typed connection failure that says to build a new team (not retried)', async () => {
    const closed = await answeringTeam('closed-team', 'never');
    await closed.cleanup();
    const outcome = await closed.run('anything', { policy: retry({ maxAttempts: 3 }) });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.kind).toBe('connection');
    expect(outcome.error?.message).toMatch(/Build a new team/);
    expect(outcome.attempts).toHaveLength(1);
  });
});
