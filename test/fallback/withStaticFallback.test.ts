import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { isFallbackFailedError } from '../../src/fallback/FallbackFailedError.js';
import { unwrapFallback } from '../../src/fallback/FallbackResult.js';
import { withStaticFallback } from '../../src/fallback/withStaticFallback.js';

const down = () => new ConnectionError('The user service is down.', { code: 'ECONNREFUSED' });

describe('withStaticFallback', () => {
  it('returns the function result as a success, passing the arguments through', async () => {
    const add = withStaticFallback(async (a: number, b: number) => a + b, -1);
    const result = await add(2, 3);
    expect(result).toMatchObject({ status: 'success', source: 'primary', value: 5 });
    expect(result.attempts).toEqual([{ source: 'primary', ok: true, durationMs: expect.any(Number) }]);
    expect(unwrapFallback(result)).toBe(5);
  });

  it('answers the static value when the function fails, saying why', async () => {
    const fetchUser = withStaticFallback(async (_id: string): Promise<string> => {
      throw down();
    }, 'Unable to fetch data. Please try again later.');
    const result = await fetchUser('42');
    expect(result).toMatchObject({
      status: 'degraded',
      source: 'static',
      value: 'Unable to fetch data. Please try again later.',
      reason: 'connection',
      error: { code: 'ECONNREFUSED' },
    });
    expect(result.attempts.map((a) => [a.source, a.ok])).toEqual([
      ['primary', false],
      ['static', true],
    ]);
  });

  it('computes the fallback from the typed error; raw errors are classified first', async () => {
    const clock = new SimulatedClock();
    const wrapped = withStaticFallback(
      async () => {
        clock.increment(250);
        throw new Error('socket hang up');
      },
      (error) => `fallback after ${error.kind}/${error.code}`,
      { clock },
    );
    const result = await wrapped();
    expect(result.status === 'degraded' && result.value).toBe('fallback after protocol/UNEXPECTED');
    expect(result.attempts[0]?.durationMs).toBe(250);
  });

  it('does not paper over a cancellation unless told to', async () => {
    const cancelled = async (): Promise<string> => {
      throw new CancelledError('The caller gave up.');
    };
    const result = await withStaticFallback(cancelled, 'fallback')();
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.reason).toBe('cancelled');
    expect(result.error.untried).toEqual(['static']);
    expect(result.error.message).toMatch(/'primary' failed with a cancelled error, which does not fall back/);
    expect(() => unwrapFallback(result)).toThrow(result.error);

    const anyway = await withStaticFallback(cancelled, 'fallback', { shouldFallback: () => true })();
    expect(anyway).toMatchObject({ status: 'degraded', value: 'fallback', reason: 'cancelled' });
  });

  it('reports a throwing fallback function as a failed attempt, not a crash', async () => {
    const result = await withStaticFallback(
      async (): Promise<string> => {
        throw down();
      },
      () => {
        throw new TypeError('fallback bug');
      },
    )();
    expect(result.status).toBe('failed');
    expect(isFallbackFailedError(result.error)).toBe(true);
    expect(result.error?.message).toMatch(
      /Every source failed \(2 tried\):\n {2}1\. primary .*user service is down/,
    );
    expect(result.error?.message).toMatch(/2\. static .*fallback bug/);
    expect(result.error?.kind).toBe('connection');
  });
});
