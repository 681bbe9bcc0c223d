import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HttpFixture,
  startHttpFixture,
  startV2HttpFixture,
  stopAllFixtures,
} from '../fixtures/index.js';
import {
  crashMidCall,
  garbage,
  hang,
  intermittentIsError,
  oversized,
  slow,
  toolsListChanged,
} from './callFaults.js';
import { Cell, SLACK_MS } from './cell.js';
import { crashOnConnect, protocolVersion, refused, restartingRepeatedly } from './connectFaults.js';
import type { FaultSpec } from './faultSpec.js';
import { forbidden, serverError, sessionExpired, unauthorized } from './httpFaults.js';
import { leaksSince, probeProcess, UnhandledWatch } from './probe.js';
import {
  type CallRecord,
  type CellResult,
  type ChaosEra,
  type ChaosFile,
  columnId,
  type InvariantResults,
  type TransportName,
} from './results.js';

/** The rows of the matrix, in the order of the issue. */
export const FAULTS: readonly FaultSpec[] = [
  refused,
  crashOnConnect,
  crashMidCall,
  hang,
  slow,
  garbage,
  oversized,
  unauthorized,
  forbidden,
  sessionExpired,
  serverError,
  protocolVersion,
  intermittentIsError,
  toolsListChanged,
  restartingRepeatedly,
];

/** Per cell; a cell takes 1-5 s on an idle machine, but node boots slow down a lot under load. */
const CELL_TIMEOUT_MS = 90_000;

export const RESULTS_DIR = fileURLToPath(new URL('../../test-results/chaos/', import.meta.url));

function summarize(calls: CallRecord[], finalStates: string[], states: string[]): string {
  const failures = [
    ...new Set(calls.filter((c) => c.outcome !== 'ok').map((c) => `${c.what}: ${c.outcome}`)),
  ];
  const ok = calls.filter((c) => c.outcome === 'ok').length;
  const connects = states.filter((s) => s === 'connecting').length;
  return [
    `ends ${finalStates.join(', ') || 'without a connection'}`,
    ...failures,
    `${ok}/${calls.length} ok`,
    ...(connects > 1 ? [`${connects} connects`] : []),
  ].join('; ');
}

/** A warm-up cell primes what Node creates once per process (undici's pool, the SDK modules). */
async function warmUp(
  transport: TransportName,
  era: ChaosEra,
  shared: HttpFixture | undefined,
): Promise<void> {
  const cell = new Cell(transport, { shared, era });
  const conn = cell.connect(await cell.server());
  await conn.start();
  await conn.callTool('echo', { text: 'warm' });
  await cell.cleanup();
}

/**
 * Declares the chaos matrix of one transport: one test per fault. Every cell checks the
 * invariants (calls settle typed within deadline + slack, no unhandled errors, expected states,
 * no child process, handle or process listener left) and its result is written to
 * test-results/chaos/<transport>.json for scripts/reliability-report.ts.
 */
export function chaosMatrix(transport: TransportName, era: ChaosEra = '2025'): void {
  const column = columnId(transport, era);
  const results: CellResult[] = [];
  const watch = new UnhandledWatch();
  let shared: HttpFixture | undefined;

  beforeAll(async () => {
    watch.install();
    if (transport !== 'stdio')
      shared = era === '2026' ? await startV2HttpFixture({ era }) : await startHttpFixture();
    await warmUp(transport, era, shared);
  });

  afterAll(async () => {
    watch.uninstall();
    await stopAllFixtures();
    // A cell killed by its test timeout never recorded itself: it still gets a (failing) row.
    FAULTS.forEach((fault, order) => {
      if (results.some((r) => r.fault === fault.id)) return;
      results.push({
        transport,
        era,
        fault: fault.id,
        label: fault.label,
        order,
        status: 'fail',
        summary: 'did not finish (test timeout)',
        states: [],
        calls: [],
        notes: [],
        invariants: undefined,
        maxOverrunMs: undefined,
        durationMs: CELL_TIMEOUT_MS,
        failure: 'did not finish within the test timeout',
      });
    });
    const file: ChaosFile = {
      transport,
      era,
      generatedAt: new Date().toISOString(),
      node: process.version,
      slackMs: SLACK_MS,
      cells: results.sort((a, b) => a.order - b.order),
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(`${RESULTS_DIR}${column}.json`, `${JSON.stringify(file, null, 2)}\n`);
  });

  describe(`chaos matrix over ${column}`, () => {
    FAULTS.forEach((fault, order) => {
      const base = { transport, era, fault: fault.id, label: fault.label, order };
      const notApplicable =
        fault.notApplicable?.[transport] ?? (era === '2026' ? fault.notIn2026 : undefined);
      if (notApplicable) {
        it(`${fault.label}: n/a (${notApplicable})`, () => {
          results.push({
            ...base,
            status: 'n/a',
            summary: `n/a: ${notApplicable}`,
            reason: notApplicable,
            states: [],
            calls: [],
            notes: [],
            invariants: undefined,
            maxOverrunMs: undefined,
            durationMs: 0,
          });
        });
        return;
      }
      const knownBug = fault.knownBug?.[transport];
      const gap = fault.gap?.[transport];
      // A known bug keeps asserting the correct behaviour; it.fails keeps CI green until it is fixed.
      const test = knownBug ? it.fails : it;
      test(
        knownBug ? `${fault.label} (known bug, it.fails)` : fault.label,
        async () => {
          const before = probeProcess();
          const unhandledBefore = watch.seen.length;
          const cell = new Cell(transport, { simulatedClock: fault.simulatedClock === true, shared, era });
          const started = performance.now();
          let failure: unknown;
          let finalStates: string[] = [];
          let states: string[] = [];
          try {
            await fault.run(cell);
          } catch (e) {
            failure = e;
          } finally {
            finalStates = cell.finalStates();
            states = cell.statesOfFirst();
            await cell.cleanup();
          }
          const leaks = await leaksSince(before);
          await new Promise<void>((resolve) => setImmediate(resolve));
          const unhandled = watch.seen.slice(unhandledBefore);
          const invariants: InvariantResults = {
            settledInTime: cell.late.length === 0,
            typedErrors: cell.untyped.length === 0,
            noUnhandled: unhandled.length === 0,
            expectedState: cell.stateMisses.length === 0,
            noChildProcess: leaks.children.length === 0,
            noOpenHandles: leaks.handles.length === 0,
            noListenerLeak: leaks.listeners.length === 0,
          };
          const problems = [
            ...(failure ? [failure instanceof Error ? failure.message : String(failure)] : []),
            ...cell.late.map((l) => `late: ${l}`),
            ...cell.untyped.map((u) => `untyped: ${u}`),
            ...unhandled,
            ...leaks.children.map((pid) => `child process left: ${pid}`),
            ...leaks.handles.map((h) => `handle left: ${h}`),
            ...leaks.listeners.map((l) => `listener left: ${l}`),
          ];
          const overruns = cell.calls.map((c) => c.elapsedMs - c.budgetMs);
          results.push({
            ...base,
            status: problems.length > 0 || knownBug ? 'fail' : gap ? 'gap' : 'pass',
            // A gap's table entry says what happens instead (the cell's measured note).
            summary: [
              ...(gap ? cell.notes.slice(0, 1) : []),
              summarize(cell.calls, finalStates, states),
            ].join('; '),
            states,
            calls: cell.calls,
            notes: cell.notes,
            invariants,
            maxOverrunMs: overruns.length > 0 ? Math.max(...overruns) : undefined,
            durationMs: Math.round(performance.now() - started),
            failure: problems.length > 0 ? problems.join('\n') : undefined,
            reason: knownBug ?? gap,
          });
          if (failure) throw failure;
          expect(problems).toEqual([]);
        },
        CELL_TIMEOUT_MS,
      );
    });
  });
}
