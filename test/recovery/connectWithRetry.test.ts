import { describe, expect, it } from 'vitest';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { isTeamBuildError } from '../../src/errors/TeamBuildError.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { connectWithRetry } from '../../src/recovery/connectWithRetry.js';
import { constantBackoff } from '../../src/resilience/backoff.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';
import { DEAD_URL } from './recoveryKit.js';

const noWait = constantBackoff({ baseMs: 0 });

function builder(attempt: number, healthyFrom: number) {
  const b = new MCPTeamBuilder(`retry-${attempt}`)
    .withLlm(new ScriptedChatModel([{ content: 'ok' }]))
    .withLogger(quietLogger);
  if (attempt < healthyFrom) return b.withMcpServerHttp(DEAD_URL, { name: 'api', connectTimeout: 2 });
  const fx = stdioFixture();
  return b.withMcpServer(fx.command, fx.args, { name: 'api' });
}

describe('connectWithRetry', () => {
  it('calls the factory once per attempt and resolves when a build succeeds', async () => {
    const attempts: number[] = [];
    const retried: string[] = [];
    const team = await connectWithRetry(
      (attempt) => {
        attempts.push(attempt);
        return builder(attempt, 3);
      },
      { maxRetries: 2, backoff: noWait, onRetry: (info) => retried.push(info.error.code) },
    );
    try {
      expect(attempts).toEqual([1, 2, 3]);
      expect(retried).toEqual(['TEAM_BUILD_FAILED', 'TEAM_BUILD_FAILED']);
      expect(team.name).toBe('retry-3');
      expect(team.state).toBe('ready');
    } finally {
      await team.cleanup();
    }
  });

  it('rejects with the last TeamBuildError once retries run out', async () => {
    let calls = 0;
    const error = await connectWithRetry(
      (attempt) => {
        calls++;
        return builder(attempt, 99);
      },
      { maxRetries: 1, backoff: noWait },
    ).catch((e: unknown) => e);
    expect(calls).toBe(2);
    expect(isTeamBuildError(error)).toBe(true);
    if (isTeamBuildError(error)) expect(error.failures[0]?.server).toBe('api');
  });

  it('never retries a configuration problem', async () => {
    let calls = 0;
    const error = await connectWithRetry(
      () => {
        calls++;
        return new MCPTeamBuilder('no-llm');
      },
      { maxRetries: 5, backoff: noWait },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(isConfigurationError(error)).toBe(true);
  });

  it('stops waiting between attempts when the signal aborts', async () => {
    const controller = new AbortController();
    const error = await connectWithRetry((attempt) => builder(attempt, 99), {
      maxRetries: 5,
      backoff: constantBackoff({ baseMs: 60_000 }),
      signal: controller.signal,
      onRetry: () => controller.abort(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'cancelled' });
  });
});
