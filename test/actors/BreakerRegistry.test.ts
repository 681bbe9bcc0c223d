import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { BreakerRegistry, type BreakerRegistryOptions } from '../../src/actors/BreakerRegistry.js';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import { CircuitOpenError, isCircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import { ToolError } from '../../src/errors/ToolError.js';
import type { BreakerTransitioned } from '../../src/events/RuntimeEvent.js';

const RESET = 60_000;

function setup(options: BreakerRegistryOptions = {}) {
  const clock = new SimulatedClock();
  const registry = new BreakerRegistry({
    defaults: { strategy: { kind: 'consecutive', threshold: 3 }, resetTimeoutMs: RESET, successThreshold: 1 },
    clock,
    ...options,
  });
  const transitions: BreakerTransitioned[] = [];
  registry.events$.subscribe((e) => transitions.push(e));
  const path = () => transitions.map((e) => `${e.breaker}:${e.from}>${e.to}`);
  return { clock, registry, transitions, path };
}

const boom = () => Promise.reject(new Error('service down'));
const ok =
  <T>(value: T) =>
  () =>
    Promise.resolve(value);

async function failTimes(registry: BreakerRegistry, id: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await expect(registry.call(id, boom)).rejects.toThrow('service down');
}

describe('BreakerRegistry', () => {
  it('creates one long-lived breaker per service on first use', () => {
    const { registry } = setup();
    expect(registry.getStatus()).toEqual({});
    expect(registry.has('github_api')).toBe(false);
    const first = registry.get('github_api');
    expect(first).toBeInstanceOf(CircuitBreaker);
    expect(registry.get('github_api')).toBe(first);
    expect(registry.has('github_api')).toBe(true);
    expect(registry.getStatus()).toEqual({ github_api: { state: 'closed' } });
    registry.stop();
  });

  it('a failing service opens only its own breaker; the others keep answering', async () => {
    const { registry, path, clock } = setup();
    expect(await registry.call('search_api', ok('hits'))).toBe('hits');
    await failTimes(registry, 'github_api', 3);

    let called = false;
    const rejected = registry.call('github_api', async () => {
      called = true;
      return 'never';
    });
    await expect(rejected).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(rejected).rejects.toThrow(/Circuit breaker 'github_api' is open/);
    expect(called).toBe(false);
    expect(await registry.call('search_api', ok('still fine'))).toBe('still fine');

    const status = registry.getStatus();
    expect(status).toEqual({
      search_api: { state: 'closed' },
      github_api: { state: 'open', retryAt: clock.now() + RESET },
    });
    expect(JSON.parse(JSON.stringify(status))).toEqual(status);
    expect(path()).toEqual(['github_api:closed>open']);
    registry.stop();
  });

  it('lays per-service settings over the shared defaults', async () => {
    const { registry } = setup({
      defaults: { strategy: { kind: 'consecutive', threshold: 5 }, resetTimeoutMs: RESET },
      services: { flaky: { strategy: { kind: 'consecutive', threshold: 1 }, resetTimeoutMs: undefined } },
    });
    await failTimes(registry, 'flaky', 1);
    await failTimes(registry, 'steady', 4);
    expect(registry.getStatus()).toMatchObject({ flaky: { state: 'open' }, steady: { state: 'closed' } });
    const flaky = registry.get('flaky').actor.getSnapshot().context;
    expect(flaky).toMatchObject({ resetTimeoutMs: RESET, successThreshold: 2 });
    registry.stop();
  });

  it('moves through open -> halfOpen -> closed on the injected clock', async () => {
    const { registry, clock, path } = setup();
    await failTimes(registry, 'api', 3);
    clock.increment(RESET - 1);
    expect(registry.getStatus().api?.state).toBe('open');
    clock.increment(1);
    expect(registry.getStatus().api).toEqual({ state: 'halfOpen' });
    expect(await registry.call('api', ok(42))).toBe(42);
    expect(path()).toEqual(['api:closed>open', 'api:open>halfOpen', 'api:halfOpen>closed']);
    expect(path().every((p) => p.startsWith('api:'))).toBe(true);
    registry.stop();
  });

  it('isolates and resets a service by hand', async () => {
    const { registry, path } = setup();
    registry.isolate('payments');
    const rejected = registry.call('payments', ok('x'));
    await expect(rejected).rejects.toSatisfy(
      (e: unknown) => isCircuitOpenError(e) && e.breakerState === 'isolated' && e.retryAt === undefined,
    );
    expect(registry.getStatus()).toEqual({ payments: { state: 'isolated' } });
    registry.reset('payments');
    expect(await registry.call('payments', ok('paid'))).toBe('paid');
    expect(path()).toEqual(['payments:closed>isolated', 'payments:isolated>closed']);
    registry.stop();
  });

  it('counts by the registry isFailure, which a call can override', async () => {
    const notFound = new Error('404');
    const { registry } = setup({
      defaults: { strategy: { kind: 'consecutive', threshold: 1 } },
      isFailure: (e) => e !== notFound,
    });
    await expect(registry.call('api', () => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(registry.getStatus().api?.state).toBe('closed');
    await expect(
      registry.call('api', () => Promise.reject(notFound), { isFailure: () => true }),
    ).rejects.toBe(notFound);
    expect(registry.getStatus().api?.state).toBe('open');
    registry.stop();
  });

  it('passes errors of the wrapped function through unchanged, typed or not', async () => {
    const { registry } = setup();
    const raw = new TypeError('bad input');
    await expect(registry.call('a', () => Promise.reject(raw))).rejects.toBe(raw);
    const tool = new ToolError('no such row');
    await expect(registry.call('a', () => Promise.reject(tool))).rejects.toBe(tool);
    registry.stop();
  });

  it('delete() stops and forgets one breaker; stop() ends events$ and later use fails clearly', async () => {
    const { registry } = setup();
    await failTimes(registry, 'gone', 3);
    const old = registry.get('gone');
    expect(registry.delete('gone')).toBe(true);
    expect(registry.delete('gone')).toBe(false);
    expect(registry.get('gone')).not.toBe(old);
    expect(registry.getStatus().gone?.state).toBe('closed');

    let completed = false;
    registry.events$.subscribe({ complete: () => (completed = true) });
    registry.stop();
    registry.stop();
    expect(completed).toBe(true);
    expect(registry.getStatus()).toEqual({});
    expect(() => registry.get('gone')).toThrow(ConfigurationError);
    expect(() => registry.get('gone')).toThrow(/stopped.*Create a new BreakerRegistry/);
  });

  it('rejects invalid settings and ids at once, naming the service and the option', () => {
    expect(
      () =>
        new BreakerRegistry({ services: { search: { strategy: { kind: 'consecutive', threshold: 0 } } } }),
    ).toThrow(/Invalid BreakerRegistry option 'services\['search'\]\.strategy\.threshold'/);
    expect(() => new BreakerRegistry({ defaults: { resetTimeoutMs: -1 } })).toThrow(
      /'defaults\.resetTimeoutMs'/,
    );
    expect(() => new BreakerRegistry({ services: { '': {} } })).toThrow(ConfigurationError);
    const registry = new BreakerRegistry();
    expect(() => registry.get('')).toThrow(/Invalid service id "".*non-empty string/);
    registry.stop();
  });

  it('keeps a status entry for an id named __proto__ as plain data', () => {
    const { registry } = setup();
    registry.get('__proto__');
    const status = registry.getStatus();
    expect(Object.keys(status)).toEqual(['__proto__']);
    expect(JSON.stringify(status)).toBe('{"__proto__":{"state":"closed"}}');
    registry.stop();
  });

  it('each service behaves exactly like a breaker of its own (property)', async () => {
    const services = ['a', 'b', 'c'] as const;
    const step = fc.record({
      service: fc.constantFrom(...services),
      fails: fc.boolean(),
      advanceMs: fc.constantFrom(0, 0, 1_000, RESET),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const clock = new SimulatedClock();
        const settings = { strategy: { kind: 'consecutive', threshold: 2 } as const, resetTimeoutMs: RESET };
        const registry = new BreakerRegistry({ defaults: settings, clock });
        const alone = new Map(services.map((id) => [id, new CircuitBreaker({ id, clock, ...settings })]));
        for (const { service, fails, advanceMs } of steps) {
          const fn = fails ? boom : ok('ok');
          const [viaRegistry, viaAlone] = await Promise.allSettled([
            registry.call(service, fn),
            alone.get(service)!.execute(fn),
          ]);
          expect(viaRegistry.status).toBe(viaAlone.status);
          clock.increment(advanceMs);
        }
        for (const id of services) {
          if (registry.has(id)) expect(registry.get(id).state).toBe(alone.get(id)!.state);
        }
        registry.stop();
        for (const b of alone.values()) b.stop();
      }),
      { numRuns: 60 },
    );
  });
});
