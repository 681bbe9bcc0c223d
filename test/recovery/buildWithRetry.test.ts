import { describe, expect, it } from 'vitest';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { isTeamBuildError } from '../../src/errors/TeamBuildError.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { retry } from '../../src/policy/retry.js';
import { run } from '../../src/policy/run.js';
import { constantBackoff } from '../../src/resilience/backoff.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';
import { DEAD_URL } from './recoveryKit.js';

// The guide's connect_with_retry is run(retry(...), (ctx) => builderFor(ctx.attempt).build()).
const noWait = constantBackoff({ baseMs: 0 });

function builder(attempt: number, healthyFrom: number) {
  const b = new MCPTeamBuilder(`retry-${attempt}`)
    .withLlm(new ScriptedChatModel([{ content: 'ok' }]))
    .withLogger(quietLogger);
  if (attempt < healthyFrom) return b.withMcpServerHttp(DEAD_URL, { name: 'api', connectTimeout: 2 });
  const fx = stdioFixture();
  return b.withMcpServer(fx.command, fx.args, { name: 'api' });
}

describe('building a team with retry: run(retry(), build)', () => {
  it('builds from a fresh builder per attempt and resolves when a build succeeds', async () => {
    const attempts: number[] = [];
    const retried: string[] = [];
    const outcome = await run(
      retry({ maxAttempts: 3, backoff: noWait, onRetry: (info) => retried.push(info.error.code) }),
      (ctx) => {
        attempts.push(ctx.attempt);
        return builder(ctx.attempt, 3).build();
      },
      { source: 'build' },
    );
    expect(outcome.status).toBe('success');
    if (outcome.status !== 'success') return;
    try {
      expect(attempts).toEqual([1, 2, 3]);
      expect(retried).toEqual(['TEAM_BUILD_FAILED', 'TEAM_BUILD_FAILED']);
      expect(outcome.reasons).toBeUndefined();
      expect(outcome.attempts.map((a) => a.ok)).toEqual([false, false, true]);
      expect(outcome.value.name).toBe('retry-3');
      expect(outcome.value.state).toBe('ready');
    } finally {
      await outcome.value.cleanup();
    }
  });

  it('fails with the last TeamBuildError once retries run out', async () => {
    let calls = 0;
    const outcome = await run(retry({ maxAttempts: 2, backoff: noWait }), (ctx) => {
      calls++;
      return builder(ctx.attempt, 99).build();
    });
    expect(calls).toBe(2);
    expect(outcome.status).toBe('failed');
    expect(isTeamBuildError(outcome.error)).toBe(true);
    if (isTeamBuildError(outcome.error)) expect(outcome.error.failures[0]?.server).toBe('api');
  });

  it('never retries a configuration problem', async () => {
    let calls = 0;
    const outcome = await run(retry({ maxAttempts: 6, backoff: noWait }), () => {
      calls++;
      return new MCPTeamBuilder('no-llm').build();
    });
    expect(calls).toBe(1);
    expect(isConfigurationError(outcome.error)).toBe(true);
  });

  it('stops waiting between attempts when the signal aborts', async () => {
    const controller = new AbortController();
    const outcome = await run(
      retry({
        maxAttempts: 6,
        backoff: constantBackoff({ baseMs: 60_000 }),
        onRetry: () => controller.abort(),
      }),
      (ctx) => builder(ctx.attempt, 99).build(),
      { signal: controller.signal },
    );
    expect(outcome).toMatchObject({ status: 'failed', error: { kind: 'cancelled' } });
  });
});
