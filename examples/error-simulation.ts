/**
 * Testing error scenarios (the guide's "Testing Error Scenarios"), without mocks and without real
 * waiting: ErrorSimulator makes the typed errors the runtime produces, seeded and on an injected
 * clock; faultyTransports injects faults between a real connection and a real MCP server.
 *
 *   npx tsx examples/error-simulation.ts
 */
import { SimulatedClock } from 'xstate';
// In an app: import { CircuitBreaker, Deadline, ServerConnection, isAzcoreError, retry } from 'azcore';
// import { ErrorSimulator, faultyTransports, SimulatedClock } from 'azcore/testing'. The example
// imports the source modules it needs.
import { CircuitBreaker } from '../src/actors/CircuitBreaker.js';
import { ServerConnection } from '../src/actors/ServerConnection.js';
import { isAzcoreError } from '../src/errors/AzcoreError.js';
import { createLogger } from '../src/observe/logger.js';
import { retry } from '../src/policy/retry.js';
import { Deadline } from '../src/resilience/Deadline.js';
import { ErrorSimulator } from '../src/simulate/ErrorSimulator.js';
import { faultyTransports } from '../src/simulate/faultyTransports.js';
import { stdioFixture } from '../test/fixtures/index.js';

const clock = new SimulatedClock();
const sim = new ErrorSimulator({ seed: 42, clock, server: 'search' });

console.log('1. typed errors, as the runtime produces them');
for (const error of [sim.connectionError(), sim.timeout(30_000), sim.authFailure()]) {
  console.log(`  ${error.kind.padEnd(10)} code=${error.code.padEnd(12)} retryable=${error.retryable}`);
}

console.log('\n2. intermittent failures (30%, seed 42): the same pattern on every run');
const flaky = sim.intermittent(0.3, () => 'ok');
const pattern: string[] = [];
for (let i = 0; i < 20; i++)
  pattern.push(
    await flaky().then(
      () => '.',
      () => 'x',
    ),
  );
console.log(`  ${pattern.join('')}   (x = failed)`);
const answer = await retry({
  maxAttempts: 5,
  backoff: () => 0,
  onRetry: ({ attempt, error }) => console.log(`  attempt ${attempt} failed (${error.kind}); retrying`),
}).execute(() => flaky());
console.log(`  retry got: ${answer}`);

console.log('\n3. an auth failure is not retried');
await retry({ maxAttempts: 5 })
  .execute(sim.failing(sim.authFailure()))
  .catch((e: unknown) => {
    if (isAzcoreError(e)) console.log(`  gave up at once: ${e.kind}: ${e.message.split('. ')[0]}`);
  });

console.log('\n4. a call that never answers ends with its budget (30 s simulated, 0 s waited)');
const deadline = Deadline.after(30_000, { clock, step: 'search' });
const hanging = sim
  .hang()(deadline.signal)
  .catch((e: unknown) => e);
clock.increment(30_000);
const timedOut = await hanging;
if (isAzcoreError(timedOut)) console.log(`  ${timedOut.kind}: ${timedOut.message.split('. ')[0]}`);

console.log('\n5. simulated connection errors trip a circuit breaker');
const breaker = new CircuitBreaker({ id: 'search', clock, strategy: { kind: 'consecutive', threshold: 3 } });
breaker.state$.subscribe((state) => console.log(`  breaker: ${state}`));
for (let i = 0; i < 3; i++) await breaker.execute(sim.failing()).catch(() => undefined);
await breaker
  .execute(async () => 'not called')
  .catch((e: unknown) => {
    if (isAzcoreError(e)) console.log(`  4th call rejected without running: ${e.kind}`);
  });
breaker.stop();

console.log('\n6. fault injection between a real connection and a real MCP server');
const fixture = stdioFixture();
const transports = faultyTransports((connection) =>
  // Five messages are the era probe (server/discover and its answer) and the 2025 handshake
  // (initialize, its result, initialized): the crash hits the first tool call.
  connection === 1 ? { crashAfterMessages: 5 } : { latencyMs: 20 },
);
transports.faults$.subscribe((f) =>
  console.log(
    `  fault on connection ${f.connection}: ${f.kind} ${f.direction} ${f.method ?? `response ${f.id}`}`,
  ),
);
const server = new ServerConnection({
  config: { name: 'tools', transport: 'stdio', command: fixture.command, args: fixture.args },
  transportFactory: transports,
  retry: { idempotent: true },
  connection: { backoffBaseMs: 50, backoffMaxMs: 200 },
  logger: createLogger({ level: 'silent' }),
});
server.state$.subscribe((state) => console.log(`  connection: ${state}`));
await server.start();
const result = await server.callTool('echo', { text: 'it got through' });
const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
console.log(`  echo answered after the crash and a reconnect: "${text}"`);
await server.close();
