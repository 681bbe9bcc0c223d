/**
 * Circuit breakers around plain async functions: one breaker in front of a flaky service (the
 * guide's basic CircuitBreaker), then a BreakerRegistry with one breaker per service (the guide's
 * MultiServiceCircuitBreaker) where one of three services is down. Offline, about a second.
 *
 *   npx tsx examples/circuit-breakers.ts
 */
// In an app: import { CircuitBreaker, ConnectionError, EventBus, isCircuitOpenError, ofType } from 'azcore';
// import { BreakerRegistry } from 'azcore/patterns'; import { sleep } from 'azcore/testing'. The example
// imports the modules it needs, so it starts without loading the team and model code.

import { BreakerRegistry } from '../src/actors/BreakerRegistry.js';
import { CircuitBreaker } from '../src/actors/CircuitBreaker.js';
import { isCircuitOpenError } from '../src/errors/CircuitOpenError.js';
import { ConnectionError } from '../src/errors/ConnectionError.js';
import { EventBus, ofType } from '../src/events/EventBus.js';
import { sleep } from '../src/resilience/sleep.js';

const RESET_MS = 300;
const started = Date.now();
const t = () => `${String(Date.now() - started).padStart(4)} ms`;

/** A pretend remote service: `up` decides whether it answers. */
function service(name: string) {
  const state = { up: true, calls: 0 };
  const call = async (task: string): Promise<string> => {
    state.calls++;
    if (!state.up) throw new ConnectionError(`${name} refused the connection.`, { code: 'ECONNREFUSED' });
    return `${name} did "${task}"`;
  };
  return { state, call };
}

// --- 1. One breaker in front of one flaky service -------------------------------------------
console.log('1. One circuit breaker (3 failures open it; 2 probe successes close it)');
const bus = new EventBus();
bus.events$
  .pipe(ofType('breaker.transition'))
  .subscribe((e) => console.log(`   ${t()}  [breaker ${e.breaker}] ${e.from} -> ${e.to}`));
const breaker = new CircuitBreaker({
  id: 'team',
  strategy: { kind: 'consecutive', threshold: 3 },
  successThreshold: 2,
  resetTimeoutMs: RESET_MS,
  bus,
});
const team = service('team');
team.state.up = false;

async function executeWithBreaker(task: string): Promise<string> {
  try {
    return await breaker.execute(() => team.call(task));
  } catch (e) {
    if (isCircuitOpenError(e))
      return `fallback answer for "${task}" (breaker ${e.breakerState}, no call made)`;
    return `failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}

async function runTask(i: number): Promise<void> {
  const answer = await executeWithBreaker(`Task ${i}`);
  console.log(`   ${t()}  task ${i}: ${answer}`);
}

for (let i = 0; i < 6; i++) await runTask(i);
console.log(`   the service was called ${team.state.calls} times for 6 tasks; the breaker answered the rest`);
team.state.up = true;
console.log(`   ... the service recovers; waiting ${RESET_MS} ms for the breaker to let a probe through`);
await sleep(RESET_MS + 20);
for (let i = 6; i < 9; i++) await runTask(i);
breaker.stop();

// --- 2. One breaker per service ---------------------------------------------------------------
console.log('\n2. BreakerRegistry: one breaker per service, search_api is down');
const services = {
  github_api: service('github_api'),
  search_api: service('search_api'),
  weather_api: service('weather_api'),
};
services.search_api.state.up = false;
const breakers = new BreakerRegistry({
  defaults: {
    strategy: { kind: 'consecutive', threshold: 3 },
    successThreshold: 2,
    resetTimeoutMs: RESET_MS,
  },
  services: { weather_api: { strategy: { kind: 'consecutive', threshold: 5 } } },
});
breakers.events$.subscribe((e) =>
  console.log(
    `   ${t()}  [${e.breaker}] ${e.from} -> ${e.to}${e.retryAt ? ` (probe in ${e.retryAt - Date.now()} ms)` : ''}`,
  ),
);

async function round(label: string): Promise<void> {
  const outcomes = await Promise.all(
    Object.entries(services).map(async ([id, s]) => {
      try {
        await breakers.call(id, () => s.call('Task'));
        return `${id} ok`;
      } catch (e) {
        return `${id} ${isCircuitOpenError(e) ? 'REJECTED' : 'failed'}`;
      }
    }),
  );
  console.log(`   ${t()}  ${label}: ${outcomes.join(', ')}`);
}

for (let i = 1; i <= 4; i++) await round(`round ${i}`);
console.log(
  `   status: ${JSON.stringify(breakers.getStatus(), (k, v) => (k === 'retryAt' ? `+${v - Date.now()} ms` : v))}`,
);

console.log('   weather_api goes into maintenance: isolate it by hand');
breakers.isolate('weather_api');
try {
  await breakers.call('weather_api', () => services.weather_api.call('Task'));
} catch (e) {
  console.log(`   ${t()}  ${e instanceof Error ? e.message : String(e)}`);
}

services.search_api.state.up = true;
console.log(`   search_api comes back; after ${RESET_MS} ms two probes close its breaker`);
await sleep(RESET_MS + 20);
await round('round 5');
await round('round 6');
breakers.reset('weather_api');
await round('round 7');
console.log(`   status: ${JSON.stringify(breakers.getStatus())}`);
breakers.stop();
