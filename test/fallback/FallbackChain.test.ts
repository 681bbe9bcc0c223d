import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { AuthError } from '../../src/errors/AuthError.js';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { ToolError } from '../../src/errors/ToolError.js';
import { DynamicFallback } from '../../src/fallback/DynamicFallback.js';
import type { Executor } from '../../src/fallback/Executor.js';
import { FallbackChain } from '../../src/fallback/FallbackChain.js';
import { FallbackFailedError } from '../../src/fallback/FallbackFailedError.js';

const answers =
  (text: string): Executor<string> =>
  async (task) =>
    `${text}: ${task}`;
const fails =
  (error: Error): Executor<string> =>
  async () => {
    throw error;
  };
const refused = new ConnectionError('Primary API refused the connection.', { code: 'ECONNREFUSED' });

/** Never settles and ignores its signal: only the attempt budget can end it. */
const deaf: Executor<string> = () => new Promise<string>(() => {});

describe('DynamicFallback', () => {
  it('answers from the primary when it works', async () => {
    const result = await new DynamicFallback(answers('primary'), answers('fallback')).execute('Process data');
    expect(result).toMatchObject({ status: 'success', source: 'primary', value: 'primary: Process data' });
    expect(result.reason).toBeUndefined();
  });

  it('falls back by error kind, reporting the reason and both attempts', async () => {
    const dynamic = new DynamicFallback(fails(refused), answers('local'));
    const result = await dynamic.execute('Process data');
    expect(result).toMatchObject({
      status: 'degraded',
      source: 'fallback',
      value: 'local: Process data',
      reason: 'connection',
      error: refused,
    });
    expect(result.attempts.map((a) => `${a.source}:${a.ok ? 'ok' : a.error?.code}`)).toEqual([
      'primary:ECONNREFUSED',
      'fallback:ok',
    ]);
  });

  it('shouldFallback picks the kinds that fall back; others fail without trying the fallback', async () => {
    let fallbackRuns = 0;
    const dynamic = new DynamicFallback(
      fails(new AuthError('The token was rejected.', { code: 'HTTP_401' })),
      async () => `fallback ${++fallbackRuns}`,
      { shouldFallback: (e) => e.kind === 'connection' || e.kind === 'timeout' },
    );
    const result = await dynamic.execute('x');
    expect(result).toMatchObject({ status: 'failed', reason: 'auth' });
    expect(result.status === 'failed' && result.error.untried).toEqual(['fallback']);
    expect(result.error?.kind).toBe('auth');
    expect(fallbackRuns).toBe(0);
  });

  it('reports both errors when the fallback fails too', async () => {
    const result = await new DynamicFallback(
      fails(refused),
      fails(new ToolError('Local server has no such table.')),
    ).execute('x');
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.reason).toBe('connection');
    expect(result.error.lastError.kind).toBe('tool');
    expect(result.error.cause).toBe(result.error.lastError);
    expect(result.error.retryable).toBe(true);
    expect(result.error.message).toMatch(
      /1\. primary .*refused the connection[\s\S]*2\. fallback .*no such table/,
    );
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({
      status: 'failed',
      error: { kind: 'connection', code: 'FALLBACK_FAILED' },
    });
  });

  it('gives each attempt its own time budget on the injected clock', async () => {
    const clock = new SimulatedClock();
    const dynamic = new DynamicFallback(deaf, answers('fast'), { timeoutMs: 5_000, clock });
    const pending = dynamic.execute('x');
    clock.increment(5_000);
    const result = await pending;
    expect(result).toMatchObject({ status: 'degraded', source: 'fallback', reason: 'timeout' });
    expect(result.status === 'degraded' && result.error).toBeInstanceOf(TimeoutError);
    expect(result.status === 'degraded' && result.error.message).toMatch(/"primary" ran out of its 5000 ms/);
    expect(result.attempts[0]?.durationMs).toBe(5_000);
  });

  it('passes the signal to executors and stops trying when the caller aborts', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    let fallbackRan = false;
    const dynamic = new DynamicFallback<string>(
      (_task, { signal } = {}) => {
        seen = signal;
        return new Promise((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(signal.reason)),
        );
      },
      async () => {
        fallbackRan = true;
        return 'unwanted';
      },
      { shouldFallback: () => true },
    );
    const pending = dynamic.execute('x', { signal: controller.signal });
    controller.abort();
    const result = await pending;
    expect(seen?.aborted).toBe(true);
    expect(result).toMatchObject({ status: 'failed', reason: 'cancelled' });
    expect(fallbackRan).toBe(false);
  });

  it('rejects a bad timeout at construction', () => {
    expect(() => new DynamicFallback(deaf, deaf, { timeoutMs: 0 })).toThrow(ConfigurationError);
    expect(() => new DynamicFallback(deaf, deaf, { timeoutMs: 0 })).toThrow(/'timeoutMs'.*got 0/);
  });
});

describe('FallbackChain', () => {
  it('tries options in order and reports who answered; a later option is degraded', async () => {
    const chain = new FallbackChain([
      { name: 'Primary API', run: fails(refused) },
      { name: 'Backup API', run: fails(new TimeoutError('Backup API timed out.')) },
      { name: 'Local Server', run: answers('local') },
    ]);
    expect(chain.names).toEqual(['Primary API', 'Backup API', 'Local Server']);
    const result = await chain.execute('Process data');
    expect(result).toMatchObject({
      status: 'degraded',
      source: 'Local Server',
      value: 'local: Process data',
      reason: 'connection',
    });
    expect(result.attempts.map((a) => [a.source, a.ok, a.error?.kind])).toEqual([
      ['Primary API', false, 'connection'],
      ['Backup API', false, 'timeout'],
      ['Local Server', true, undefined],
    ]);
  });

  it('the first option answering is a plain success and the rest are not run', async () => {
    let later = 0;
    const result = await new FallbackChain([answers('first'), async () => `${++later}`]).execute('t');
    expect(result).toMatchObject({ status: 'success', source: 'option 1', value: 'first: t' });
    expect(later).toBe(0);
  });

  it('names unnamed options by function name, else by position', async () => {
    const primary: Executor<string> = fails(refused);
    const chain = new FallbackChain([primary, fails(refused), answers('x')]);
    expect(chain.names).toEqual(['option 1', 'option 2', 'option 3']);
    async function localServer(task: string) {
      return task;
    }
    expect(new FallbackChain([localServer]).names).toEqual(['localServer']);
  });

  it('when all fail: a typed error listing every attempt, with the last error', async () => {
    const last = new ToolError('Local server crashed on the input.');
    const result = await new FallbackChain([
      { name: 'Primary API', run: fails(refused) },
      { name: 'Backup API', run: fails(new Error('ECONNRESET by peer')) },
      { name: 'Local Server', run: fails(last) },
    ]).execute('Process data');
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.error).toBeInstanceOf(FallbackFailedError);
    expect(result.error.lastError).toBe(last);
    expect(result.error.untried).toEqual([]);
    expect(result.error.attempts).toHaveLength(3);
    expect(result.error.message).toMatch(
      /^Every source failed \(3 tried\):\n {2}1\. Primary API \(\d+ ms\): .*refused[\s\S]*\n {2}2\. Backup API .*ECONNRESET[\s\S]*\n {2}3\. Local Server .*crashed on the input/,
    );
    expect(result.error.message).toMatch(/end the list with a source that cannot fail/);
  });

  it('needs at least one option', () => {
    expect(() => new FallbackChain([])).toThrow(/at least one option/);
  });
});
