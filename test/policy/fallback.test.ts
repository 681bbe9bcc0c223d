import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { AuthError } from '../../src/errors/AuthError.js';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { ToolError } from '../../src/errors/ToolError.js';
import { dynamic } from '../../src/policy/dynamic.js';
import { FallbackFailedError, isFallbackFailedError } from '../../src/policy/FallbackFailedError.js';
import { fallback } from '../../src/policy/fallback.js';
import type { Outcome } from '../../src/policy/Outcome.js';
import type { Work } from '../../src/policy/Policy.js';
import { run } from '../../src/policy/run.js';
import { staticValue } from '../../src/policy/staticValue.js';
import { timeout } from '../../src/policy/timeout.js';
import { wrap } from '../../src/policy/wrap.js';

const down = () => new ConnectionError('The user service is down.', { code: 'ECONNREFUSED' });
const refused = new ConnectionError('Primary API refused the connection.', { code: 'ECONNREFUSED' });
const answers =
  (text: string): Work<string> =>
  async () =>
    text;
const fails =
  (error: Error): Work<string> =>
  async () => {
    throw error;
  };
/** Lets every pending promise callback run (no wall-clock wait): the policies reach their timers. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Never settles and ignores its signal: only a budget can end it. */
const deaf: Work<string> = () => new Promise<string>(() => {});

function failed<T>(outcome: Outcome<T>): FallbackFailedError {
  if (outcome.status !== 'failed') throw new Error(`expected failed, got ${outcome.status}`);
  if (!isFallbackFailedError(outcome.error))
    throw new Error(`expected a FallbackFailedError: ${outcome.error}`);
  return outcome.error;
}

describe('fallback(staticValue(...)) (was withStaticFallback)', () => {
  it('returns the work result as a success; one attempt', async () => {
    const outcome = await run(fallback(staticValue(-1)), async () => 2 + 3);
    expect(outcome).toEqual({
      status: 'success',
      source: 'primary',
      value: 5,
      attempts: [{ source: 'primary', ok: true, durationMs: expect.any(Number), attempt: 1 }],
    });
  });

  it('answers the static value when the work fails, saying why', async () => {
    const outcome = await run(
      fallback(staticValue('Unable to fetch data. Please try again later.')),
      fails(down()),
    );
    expect(outcome).toMatchObject({
      status: 'degraded',
      source: 'static',
      value: 'Unable to fetch data. Please try again later.',
      reasons: ['primary failed: connection ECONNREFUSED'],
      error: { kind: 'connection', code: 'ECONNREFUSED' },
    });
    expect(outcome.attempts.map((a) => [a.source, a.ok])).toEqual([
      ['primary', false],
      ['static', true],
    ]);
  });

  it('computes the fallback from the typed error; raw errors are classified first', async () => {
    const clock = new SimulatedClock();
    const outcome = await run(
      fallback(staticValue((error) => `fallback after ${error.kind}/${error.code}`)),
      async () => {
        clock.increment(250);
        throw new Error('socket hang up');
      },
      { clock },
    );
    expect(outcome.status === 'degraded' && outcome.value).toBe('fallback after protocol/UNEXPECTED');
    expect(outcome.attempts[0]?.durationMs).toBe(250);
  });

  it('does not paper over a cancellation unless told to', async () => {
    const cancelled = fails(new CancelledError('The caller gave up.'));
    const outcome = await run(fallback(staticValue('fallback')), cancelled);
    const error = failed(outcome);
    expect(error.kind).toBe('cancelled');
    expect(error.untried).toEqual(['static']);
    expect(error.message).toMatch(/'primary' failed with a cancelled error, which does not fall back/);
    await expect(fallback(staticValue('fallback')).execute(cancelled)).rejects.toThrow(FallbackFailedError);

    const anyway = await run(fallback({ shouldFallback: () => true }, staticValue('fallback')), cancelled);
    expect(anyway).toMatchObject({ status: 'degraded', value: 'fallback', error: { kind: 'cancelled' } });
  });

  it('reports a throwing fallback function as a failed attempt, not a crash', async () => {
    const outcome = await run(
      fallback(
        staticValue<string>(() => {
          throw new TypeError('fallback bug');
        }),
      ),
      fails(down()),
    );
    const error = failed(outcome);
    expect(error.message).toMatch(/Every source failed \(2 tried\):\n {2}1\. primary .*user service is down/);
    expect(error.message).toMatch(/2\. static .*fallback bug/);
    expect(error.kind).toBe('connection');
    expect(outcome.status === 'failed' && outcome.reasons).toEqual([
      'primary failed: connection ECONNREFUSED',
      'static failed: protocol UNEXPECTED',
    ]);
  });
});

describe('fallback(dynamic(...)) (was DynamicFallback)', () => {
  it('answers from the work when it works', async () => {
    const outcome = await run(fallback(dynamic(answers('fallback'))), answers('primary'));
    expect(outcome).toMatchObject({ status: 'success', source: 'primary', value: 'primary' });
    expect(outcome.reasons).toBeUndefined();
  });

  it('falls back by error kind, reporting the reason and both attempts', async () => {
    const outcome = await run(fallback(dynamic(answers('local'))), fails(refused));
    expect(outcome).toMatchObject({
      status: 'degraded',
      source: 'fallback',
      value: 'local',
      error: refused,
      reasons: ['primary failed: connection ECONNREFUSED'],
    });
    expect(outcome.attempts.map((a) => `${a.source}:${a.ok ? 'ok' : a.error?.code}`)).toEqual([
      'primary:ECONNREFUSED',
      'fallback:ok',
    ]);
  });

  it('shouldFallback picks the kinds that fall back; others fail without trying the source', async () => {
    let fallbackRuns = 0;
    const policy = fallback(
      { shouldFallback: (e) => e.kind === 'connection' || e.kind === 'timeout' },
      dynamic(async () => `fallback ${++fallbackRuns}`),
    );
    const outcome = await run(policy, fails(new AuthError('The token was rejected.', { code: 'HTTP_401' })));
    const error = failed(outcome);
    expect(error.untried).toEqual(['fallback']);
    expect(error.kind).toBe('auth');
    expect(fallbackRuns).toBe(0);
  });

  it('reports both errors when the fallback fails too; JSON-safe', async () => {
    const outcome = await run(
      fallback(dynamic(fails(new ToolError('Local server has no such table.')))),
      fails(refused),
    );
    const error = failed(outcome);
    expect(error.kind).toBe('connection');
    expect(error.lastError.kind).toBe('tool');
    expect(error.cause).toBe(error.lastError);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/1\. primary .*refused the connection[\s\S]*2\. fallback .*no such table/);
    expect(JSON.parse(JSON.stringify(outcome))).toMatchObject({
      status: 'failed',
      error: { kind: 'connection', code: 'FALLBACK_FAILED' },
      reasons: ['primary failed: connection ECONNREFUSED', 'fallback failed: tool TOOL_ERROR'],
    });
  });

  it('a timeout inside the fallback bounds the work on the injected clock; the source answers', async () => {
    const clock = new SimulatedClock();
    const pending = run(wrap(fallback(dynamic(answers('fast'))), timeout(5_000)), deaf, { clock });
    await settled();
    clock.increment(5_000);
    const outcome = await pending;
    expect(outcome).toMatchObject({ status: 'degraded', source: 'fallback', error: { kind: 'timeout' } });
    expect(outcome.status === 'degraded' && outcome.error).toBeInstanceOf(TimeoutError);
    expect(outcome.status === 'degraded' && outcome.error.message).toMatch(
      /"primary" ran out of its 5000 ms/,
    );
    expect(outcome.attempts[0]?.durationMs).toBe(5_000);
  });

  it('passes the signal to the work and stops trying when the caller aborts', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    let fallbackRan = false;
    const policy = fallback(
      { shouldFallback: () => true },
      dynamic(async () => {
        fallbackRan = true;
        return 'unwanted';
      }),
    );
    const pending = run(
      policy,
      ({ signal }) => {
        seen = signal;
        return new Promise<string>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      },
      { signal: controller.signal },
    );
    controller.abort();
    const outcome = await pending;
    expect(seen?.aborted).toBe(true);
    expect(failed(outcome).kind).toBe('cancelled');
    expect(fallbackRan).toBe(false);
  });

  it('a source gets its own policy: a deaf backup is cut at its budget', async () => {
    const clock = new SimulatedClock();
    const pending = run(fallback(dynamic(deaf, { name: 'backup', policy: timeout(300) })), fails(refused), {
      clock,
    });
    await settled();
    clock.increment(300);
    const error = failed(await pending);
    expect(error.lastError).toBeInstanceOf(TimeoutError);
    expect(error.message).toMatch(/2\. backup \(300 ms\): Step "backup" ran out of its 300 ms budget/);
  });
});

describe('fallback with several sources (was FallbackChain)', () => {
  it('tries sources in order and reports who answered', async () => {
    const policy = fallback(
      dynamic(fails(new TimeoutError('Backup API timed out.')), { name: 'Backup API' }),
      dynamic(answers('local'), { name: 'Local Server' }),
    );
    const outcome = await run(policy, fails(refused), { source: 'Primary API' });
    expect(outcome).toMatchObject({
      status: 'degraded',
      source: 'Local Server',
      value: 'local',
      error: refused,
    });
    expect(outcome.attempts.map((a) => [a.source, a.ok, a.error?.kind])).toEqual([
      ['Primary API', false, 'connection'],
      ['Backup API', false, 'timeout'],
      ['Local Server', true, undefined],
    ]);
  });

  it('the work answering is a plain success and no source runs', async () => {
    let later = 0;
    const outcome = await run(fallback(dynamic(async () => `${++later}`)), answers('first'));
    expect(outcome).toMatchObject({ status: 'success', source: 'primary', value: 'first' });
    expect(later).toBe(0);
  });

  it('names a dynamic source by its option, else its function name, else fallback', () => {
    async function localServer() {
      return 'x';
    }
    expect(dynamic(localServer).name).toBe('localServer');
    expect(dynamic(async () => 'x').name).toBe('fallback');
    expect(dynamic(localServer, { name: 'Local' }).name).toBe('Local');
  });

  it('when all fail: a typed error listing every attempt, with the last error', async () => {
    const last = new ToolError('Local server crashed on the input.');
    const outcome = await run(
      fallback(
        dynamic(fails(new Error('ECONNRESET by peer')), { name: 'Backup API' }),
        dynamic(fails(last), { name: 'Local Server' }),
      ),
      fails(refused),
      { source: 'Primary API' },
    );
    const error = failed(outcome);
    expect(error.lastError).toBe(last);
    expect(error.untried).toEqual([]);
    expect(error.attempts).toHaveLength(3);
    expect(error.message).toMatch(
      /^Every source failed \(3 tried\):\n {2}1\. Primary API \(\d+ ms\): .*refused[\s\S]*\n {2}2\. Backup API .*ECONNRESET[\s\S]*\n {2}3\. Local Server .*crashed on the input/,
    );
    expect(error.message).toMatch(/end the list with a source that cannot fail/);
  });
});
