import { ServerConnection } from '../src/actors/ServerConnection.js';
import { ofType } from '../src/events/EventBus.js';
import { createLogger } from '../src/observe/logger.js';
import { timeout } from '../src/policy/timeout.js';
import { AdaptiveTimeout } from '../src/resilience/AdaptiveTimeout.js';
import { Deadline } from '../src/resilience/Deadline.js';
import { withTimeout } from '../src/resilience/withTimeout.js';
import { stdioFixture } from '../test/fixtures/index.js';

const server = new ServerConnection({
  config: {
    name: 'fixture',
    transport: 'stdio',
    ...stdioFixture(),
  },
  logger: createLogger({ level: 'silent' }),
});
server.events$
  .pipe(ofType('call.failed'))
  .subscribe((e) =>
    console.log(`   [call.failed] ${e.tool}: ${e.error.kind} after ${Math.round(e.durationMs)} ms`),
  );

const text = (r: { content: Array<{ type: string; text?: string }> }) => r.content[0]?.text ?? '';
const round = (n: number) => Math.round(n);
const since = (start: number) => `${round(performance.now() - start)} ms`;

try {
  await server.start();

  console.log('1. Per-call timeout: the call gets an AbortSignal and is cancelled at the limit');
  let start = performance.now();
  const quick = await withTimeout('slow', 1_000, (signal) => server.callTool('slow', { ms: 50 }, { signal }));
  console.log(`   slow 50 ms, limit 1000 ms -> "${text(quick)}" after ${since(start)}`);
  start = performance.now();
  const hung = await withTimeout('hang', 300, (signal) => server.callTool('hang', {}, { signal })).catch(
    (e: Error) => e,
  );
  console.log(`   hang, limit 300 ms -> after ${since(start)}: ${String(hung)}`);
  console.log(`   echo afterwards -> "${text(await server.callTool('echo', { text: 'still here' }))}"`);

  console.log('\n2. Adaptive timeout: mean + 3 sd of past successes, clamped to [50 ms, 2 s]');
  const timeouts = new AdaptiveTimeout({ initialMs: 1_000, minMs: 50, maxMs: 2_000, minSamples: 5 });
  // The timeout policy with a learned budget: it reads timeoutFor('slow') and learns from each call.
  const learned = timeout({ ms: timeouts, name: 'slow' });
  for (const ms of [30, 45, 25, 40, 35, 50, 30]) {
    const limit = timeouts.timeoutFor('slow');
    // On a loaded machine a call may still overrun a tight limit: the next limit then doubles.
    const outcome = await learned
      .execute(({ signal }) => server.callTool('slow', { ms }, { signal }))
      .then(
        () => 'ok',
        () => 'timed out, next limit doubles',
      );
    console.log(
      `   slow ${String(ms).padStart(2)} ms under a ${String(limit).padStart(4)} ms limit: ${outcome}`,
    );
  }
  const stats = timeouts.stats('slow');
  console.log(
    `   learned from ${stats.samples} calls: mean ${round(stats.meanMs)} ms, sd ${round(stats.stdDevMs)} ms -> timeout ${round(stats.timeoutMs)} ms`,
  );
  start = performance.now();
  const cut = await learned
    .execute(({ signal }) => server.callTool('slow', { ms: 5_000 }, { signal }))
    .catch((e: Error) => e);
  console.log(`   slow 5000 ms -> cut off after ${since(start)}: ${String(cut)}`);
  console.log(`   after a timeout the next limit doubles: ${round(timeouts.timeoutFor('slow'))} ms`);

  console.log('\n3. Hierarchical budget: one 1500 ms deadline for the steps of a report');
  const report = Deadline.after(1_500, { step: 'report' });
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => `done, ${round(report.remaining())} ms left`,
      (e: Error) => String(e),
    );
  const collect = report.step('collect', (d) => server.callTool('slow', { ms: 80 }, { deadline: d }), {
    budgetMs: 500,
  });
  console.log(`   collect (own cap 500 ms): ${await outcome(collect)}`);
  const processing = report.step('process', (d) => server.callTool('slow', { ms: 150 }, { deadline: d }));
  console.log(`   process: ${await outcome(processing)}`);
  const store = report.step('store', (d) => server.callTool('hang', {}, { deadline: d }));
  console.log(`   store: ${await outcome(store)}`);
  report.dispose();
} finally {
  await server.close();
}
