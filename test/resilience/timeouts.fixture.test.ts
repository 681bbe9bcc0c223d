import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import type { AzcoreError } from '../../src/errors/AzcoreError.js';
import { ToolError } from '../../src/errors/ToolError.js';
import { ofType } from '../../src/events/EventBus.js';
import { byKind } from '../../src/policy/byKind.js';
import { retry } from '../../src/policy/retry.js';
import { run } from '../../src/policy/run.js';
import { timeout } from '../../src/policy/timeout.js';
import { AdaptiveTimeout } from '../../src/resilience/AdaptiveTimeout.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import type { RetryAttempt } from '../../src/resilience/retry.js';
import { withTimeout } from '../../src/resilience/withTimeout.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

// Real timeouts here are short on purpose: the timeout is the point of each test.
// One server for the file: each test leaves it ready (the hang calls are cancelled).
let conn: ServerConnection;
async function fixture(): Promise<ServerConnection> {
  expect(conn.state).toBe('ready');
  return conn;
}
const text = (r: { content: unknown[] }) => (r.content[0] as { text?: string } | undefined)?.text;

beforeAll(async () => {
  conn = new ServerConnection({
    config: { name: 'fx', transport: 'stdio', ...stdioFixture(), connectTimeoutMs: 5_000 },
    logger: quietLogger,
  });
  await conn.start();
});
afterAll(async () => {
  await conn.close();
  await stopAllFixtures();
});

describe('timeouts and retries against the stdio fixture server', () => {
  it('withTimeout cancels a hanging MCP call (the request is aborted, not abandoned)', async () => {
    const conn = await fixture();
    const failed = firstValueFrom(conn.events$.pipe(ofType('call.failed')));
    const error = await withTimeout('hang', 150, (signal) => conn.callTool('hang', {}, { signal })).catch(
      (e: AzcoreError) => e,
    );
    expect(error).toMatchObject({ kind: 'timeout', step: 'hang', timeoutMs: 150 });
    expect(await failed).toMatchObject({ tool: 'hang', error: { kind: 'timeout' } });
    expect(text(await conn.callTool('echo', { text: 'still fine' }))).toBe('still fine');
  });

  it('timeout({ ms: AdaptiveTimeout }) learns from slow calls, then cuts off a call far slower than usual', async () => {
    const conn = await fixture();
    const timeouts = new AdaptiveTimeout({ initialMs: 5_000, minMs: 60, maxMs: 5_000, minSamples: 3 });
    const policy = timeout({ ms: timeouts, name: 'slow' });
    for (const ms of [10, 20, 15]) {
      await policy.execute(({ signal }) => conn.callTool('slow', { ms }, { signal }));
    }
    const learned = timeouts.timeoutFor('slow');
    const { meanMs, stdDevMs, samples } = timeouts.stats('slow');
    expect(samples).toBe(3);
    expect(learned).toBeGreaterThanOrEqual(60);
    expect(learned).toBeLessThan(1_000);
    const outcome = await run(policy, ({ signal }) => conn.callTool('slow', { ms: 5_000 }, { signal }));
    expect(outcome).toMatchObject({
      status: 'failed',
      error: { kind: 'timeout', step: 'slow', timeoutMs: learned },
    });
    // The doubling applies to the clamped estimate before rounding up to whole ms.
    expect(timeouts.timeoutFor('slow')).toBe(
      Math.min(5_000, Math.ceil(Math.max(60, meanMs + 3 * stdDevMs) * 2)),
    );
  });

  it('a hierarchical budget names the step that was running when it ran out', async () => {
    const conn = await fixture();
    const total = Deadline.after(400, { step: 'report' });
    const collected = await total.step('collect', (d) => conn.callTool('slow', { ms: 20 }, { deadline: d }), {
      budgetMs: 200,
    });
    expect(text(collected)).toBe('slept 20');
    const error = await total
      .step('store', (d) => conn.callTool('hang', {}, { deadline: d }))
      .catch((e: AzcoreError) => e);
    expect(error).toMatchObject({ kind: 'timeout', step: 'store' });
    expect(error.message).toMatch(/enclosing "report"/);
    total.dispose();
  });

  it('retry({ backoff: byKind }) retries the flaky tool as a retryable tool failure and succeeds', async () => {
    const conn = await fixture();
    // The counter is per server process: line it up so the next flaky call is an even one (fails).
    const first = await conn.callTool('flaky', { every: 2 });
    if (first.isError) await conn.callTool('flaky', { every: 2 });
    const retries: RetryAttempt[] = [];
    const policy = retry({
      backoff: byKind({ tool: { maxAttempts: 3, baseMs: 10, strategy: 'constant' } }),
      onRetry: (info) => retries.push(info),
    });
    const result = await policy.execute(async ({ signal }) => {
      const r = await conn.callTool('flaky', { every: 2 }, { signal });
      if (r.isError) throw new ToolError(`flaky failed: ${text(r)}`, { tool: 'flaky', retryable: true });
      return text(r);
    });
    expect(result).toBeTypeOf('string');
    expect(retries.map((r) => [r.attempt, r.delayMs, r.error.kind])).toEqual([[1, 10, 'tool']]);
  });
});
