/**
 * The policy pipeline over a real MCP server (the project's stdio fixture), offline:
 *   1. a healthy call through wrap(fallback, retry, breaker, timeout): success, one attempt
 *   2. a hanging tool: each attempt times out and is cancelled, the retry tries again, the breaker
 *      opens after two failures, and the fallback answers (degraded, with reasons)
 *   3. bad input: validate rejects it before anything runs (failed, kind input, no attempt)
 *   4. a whole budget outside the retry: no wait starts that would end past it
 *
 *   npx tsx examples/policies.ts
 */
// In an app: import { CircuitBreaker, EventBus, ServerConnection, breaker, fallback, retry, run,
//   staticValue, timeout, validate, wrap, type Outcome } from 'azcore';
import { z } from 'zod';
import { CircuitBreaker } from '../src/actors/CircuitBreaker.js';
import { ServerConnection } from '../src/actors/ServerConnection.js';
import { EventBus, ofType } from '../src/events/EventBus.js';
import { createLogger } from '../src/observe/logger.js';
import { breaker } from '../src/policy/breaker.js';
import { fallback } from '../src/policy/fallback.js';
import type { Outcome } from '../src/policy/Outcome.js';
import { retry } from '../src/policy/retry.js';
import { run } from '../src/policy/run.js';
import { staticValue } from '../src/policy/staticValue.js';
import { timeout } from '../src/policy/timeout.js';
import { wrap } from '../src/policy/wrap.js';
import { validate } from '../src/validation/validatePolicy.js';
import { stdioFixture } from '../test/fixtures/index.js';

const logger = createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'silent' });
const server = new ServerConnection({
  config: { name: 'fx', transport: 'stdio', ...stdioFixture(), connectTimeoutMs: 10_000 },
  logger,
});
const bus = new EventBus();
bus.events$
  .pipe(ofType('call.retried'))
  .subscribe((e) => console.log(`     (retry ${e.attempt} in ${e.delayMs} ms after ${e.error.kind})`));
bus.events$
  .pipe(ofType('breaker.transition'))
  .subscribe((e) => console.log(`     (breaker ${e.from} -> ${e.to})`));

function show(label: string, outcome: Outcome<unknown>): void {
  console.log(`   ${label}: ${outcome.status}${outcome.source ? ` from ${outcome.source}` : ''}`);
  console.log(
    `     attempts: ${outcome.attempts.map((a) => `${a.source}${a.attempt ? `#${a.attempt}` : ''} ${a.ok ? 'ok' : a.error?.kind}`).join(' -> ')}`,
  );
  if (outcome.reasons) console.log(`     reasons: ${outcome.reasons.join(' | ')}`);
  if (outcome.status !== 'failed') console.log(`     value: ${JSON.stringify(outcome.value)}`);
}
const textOf = (result: { content: unknown[] }) => (result.content[0] as { text?: string }).text;

try {
  await server.start();
  // One breaker for the tool (long-lived, reused by every call), and one pipeline.
  const hangBreaker = new CircuitBreaker({
    id: 'fx-tools',
    strategy: { kind: 'consecutive', threshold: 2 },
    bus,
  });
  const toolCall = wrap(
    fallback(staticValue('the tool is unavailable: answering without it')),
    retry({ maxAttempts: 3, backoff: { strategy: 'constant', baseMs: 50 } }),
    breaker(hangBreaker),
    timeout(200),
  );

  console.log('1. A healthy call');
  show(
    'echo',
    await run(
      toolCall,
      async (ctx) => textOf(await server.callTool('echo', { text: 'hello' }, { signal: ctx.signal })),
      { events: bus, source: 'echo' },
    ),
  );

  console.log('\n2. A hanging tool: timeout per attempt, retry, breaker, fallback');
  hangBreaker.reset();
  show(
    'hang',
    await run(toolCall, (ctx) => server.callTool('hang', {}, { signal: ctx.signal }), {
      events: bus,
      source: 'hang',
    }),
  );
  console.log(
    `   the server still answers: ${textOf(await server.callTool('echo', { text: 'still here' }))}`,
  );

  console.log('\n3. Bad input never reaches the server');
  const limit = -5;
  show(
    'search',
    await run(
      wrap(validate(z.number().int().min(1), limit, { name: 'limit' }), toolCall),
      async () => 'unreachable',
    ),
  );

  console.log('\n4. A whole budget outside the retry');
  const budgeted = wrap(
    timeout({ ms: 300, name: 'whole task' }),
    retry({ maxAttempts: 10, backoff: { strategy: 'constant', baseMs: 100 } }),
    timeout(120),
  );
  const outcome = await run(budgeted, (ctx) => server.callTool('hang', {}, { signal: ctx.signal }), {
    events: bus,
    source: 'hang',
  });
  show('hang within 300 ms', outcome);
  if (outcome.status === 'failed') console.log(`     error: ${outcome.error.message.split('\n')[0]}`);
  hangBreaker.stop();
} finally {
  await server.close();
}
