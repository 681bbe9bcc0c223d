import { ServerConnection } from '../src/actors/ServerConnection.js';
import { ConnectionError } from '../src/errors/ConnectionError.js';
import { InputError } from '../src/errors/InputError.js';
import { TimeoutError } from '../src/errors/TimeoutError.js';
import { ToolError } from '../src/errors/ToolError.js';
import { EventBus, ofType } from '../src/events/EventBus.js';
import { createLogger } from '../src/observe/logger.js';
import { byKind } from '../src/policy/byKind.js';
import { retry as retryPolicy } from '../src/policy/retry.js';
import type { AdaptiveRetryTable } from '../src/resilience/adaptiveRetry.js';
import {
  type BackoffStrategy,
  createBackoff,
  previewSchedule,
  seededRandom,
} from '../src/resilience/backoff.js';
import { Deadline } from '../src/resilience/Deadline.js';
import { retry } from '../src/resilience/retry.js';
import { stdioFixture } from '../test/fixtures/index.js';

const SEED = 42;
const strategies: BackoffStrategy[] = ['exponential', 'jittered', 'decorrelated'];
const ms = (n: number) => `${Math.round(n)} ms`;

console.log(`1. Schedules (seeded RNG ${SEED}; base 100 ms, factor 2, cap 2 s; 6 retries)`);
for (const strategy of strategies) {
  const delays = previewSchedule(
    createBackoff(strategy, { baseMs: 100, maxMs: 2_000 }, seededRandom(SEED)),
    6,
  );
  console.log(`   ${strategy.padEnd(13)} ${delays.map((d) => String(Math.round(d)).padStart(5)).join(' ')}`);
}

// The fixture server of the test suite: a real MCP server over stdio with fault tools.
const server = new ServerConnection({
  config: {
    name: 'fixture',
    transport: 'stdio',
    ...stdioFixture(),
  },
  logger: createLogger({ level: 'silent' }),
});

/** One call of `flaky`: an `isError` result becomes a ToolError the caller marks retryable. */
async function callFlaky(signal: AbortSignal | undefined): Promise<string> {
  const result = await server.callTool('flaky', { every: 2 }, { signal });
  const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
  if (result.isError) throw new ToolError(`flaky reported: ${text}`, { tool: 'flaky', retryable: true });
  return text;
}

try {
  await server.start();
  console.log('\n2. Each schedule retrying the fixture tool `flaky` (fails every 2nd call; base 20 ms)');
  await server.callTool('flaky', { every: 2 }); // call 1 succeeds, so each run below starts on a failing call
  for (const strategy of strategies) {
    const log: string[] = [];
    const answer = await retry((_attempt, signal) => callFlaky(signal), {
      maxAttempts: 4,
      backoff: createBackoff(strategy, { baseMs: 20, maxMs: 500 }, seededRandom(SEED)),
      onRetry: ({ attempt, delayMs, error }) =>
        log.push(`attempt ${attempt} failed (${error.kind}), retry in ${ms(delayMs)}`),
    });
    console.log(`   ${strategy.padEnd(13)} ${log.join('; ')} -> "${answer}"`);
  }
} finally {
  await server.close();
}

console.log('\n3. Adaptive retry: the kind that failed picks the schedule (guide table, scaled down 100x)');
const table: AdaptiveRetryTable = {
  connection: { maxAttempts: 5, baseMs: 20 },
  timeout: { maxAttempts: 3, baseMs: 50 },
  tool: { maxAttempts: 3, baseMs: 10 },
  resource: { maxAttempts: 3, baseMs: 10 },
  protocol: { maxAttempts: 3, baseMs: 10 },
};
for (const [kind, c] of Object.entries(table))
  console.log(`   ${kind.padEnd(11)} ${c.maxAttempts} tries from ${c.baseMs} ms`);
console.log('   input, auth, circuitOpen, cancelled, configuration: never retried');

const bus = new EventBus();
bus.events$
  .pipe(ofType('call.retried'))
  .subscribe((e) =>
    console.log(
      `   [call.retried] ${e.tool}: attempt ${e.attempt} failed with ${e.error.kind}, next in ${ms(e.delayMs)}`,
    ),
  );
// The retry policy with a schedule that reads the failure's kind; the run's `source` names it in events.
const policy = retryPolicy({ backoff: byKind(table, { random: seededRandom(SEED) }) });

/** Fails with the given errors in turn, then succeeds. */
function scripted(...failures: Error[]) {
  let calls = 0;
  return async () => {
    const failure = failures[calls++];
    if (failure) throw failure;
    return `succeeded on attempt ${calls}`;
  };
}

const mixed = scripted(
  new ConnectionError('server unreachable'),
  new ConnectionError('server unreachable'),
  new TimeoutError('no reply in time'),
  new ConnectionError('server unreachable'),
);
console.log(`   mixed failures -> ${await policy.execute(mixed, { events: bus, source: 'sync' })}`);

const badInput = scripted(new InputError('path must be absolute'));
const rejected = await policy.execute(badInput, { events: bus, source: 'read' }).catch((e: Error) => e);
console.log(`   input error -> not retried: ${String(rejected)}`);

const deadline = Deadline.after(100, { step: 'nightly-sync' });
const timeouts = scripted(...Array.from({ length: 5 }, () => new TimeoutError('no reply in time')));
const late = await policy
  .execute(timeouts, { events: bus, source: 'report', deadline })
  .catch((e: Error) => e);
console.log(`   deadline 100 ms -> gave up before a wait that would end past it: ${String(late)}`);
deadline.dispose();
