// The hostile-server suite's harness, in the style of the chaos matrix (test/chaos/cell.ts): each case
// records how its calls settled, probes the process before and after, times an unrelated healthy
// server's call while the hostile one misbehaves, and writes one record to test-results/hostile.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type AzcoreError, isAzcoreError } from '../../src/errors/AzcoreError.js';
import { SLACK_MS } from '../chaos/cell.js';
import { leaksSince, probeProcess, UnhandledWatch } from '../chaos/probe.js';
import type { CallRecord } from '../chaos/results.js';
import type { HostileFile, HostileInvariants, HostileRecord } from './results.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
/** Heap growth a case may leave behind after a full GC (the 200 MB result case must leave none of it). */
const HEAP_GROWTH_LIMIT_MB = 32;

export type Settled<T> =
  | { ok: true; value: T; elapsedMs: number }
  | { ok: false; error: AzcoreError; elapsedMs: number };

export class HostileCase {
  readonly calls: CallRecord[] = [];
  readonly untyped: string[] = [];
  readonly late: string[] = [];
  readonly measured: Record<string, number | string> = {};
  /** Healthy-server figures over their own budget. */
  readonly slowHealthy: string[] = [];
  readonly #cleanups: (() => Promise<unknown>)[] = [];

  /** Runs at cleanup (close connections and teams, stop servers), before the leak probe. */
  onCleanup(cleanup: () => Promise<unknown>): void {
    this.#cleanups.push(cleanup);
  }

  measure(key: string, value: number | string): void {
    this.measured[key] = typeof value === 'number' ? Math.round(value * 10) / 10 : value;
  }

  /** Runs `run`, recording its outcome and settle time against `budgetMs` + slack. */
  async settle<T>(what: string, budgetMs: number, run: () => Promise<T>): Promise<Settled<T>> {
    const started = performance.now();
    let settled: Settled<T>;
    try {
      settled = { ok: true, value: await run(), elapsedMs: performance.now() - started };
    } catch (e) {
      const elapsedMs = performance.now() - started;
      if (!isAzcoreError(e)) {
        this.untyped.push(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        throw e;
      }
      settled = { ok: false, error: e, elapsedMs };
    }
    const elapsedMs = Math.round(settled.elapsedMs);
    if (elapsedMs > budgetMs + SLACK_MS)
      this.late.push(`${what}: ${elapsedMs} ms > ${budgetMs} + ${SLACK_MS}`);
    const value = settled.ok ? (settled.value as { isError?: unknown } | undefined) : undefined;
    const outcome = settled.ok
      ? value?.isError === true
        ? 'isError result'
        : 'ok'
      : `${settled.error.name} ${settled.error.code}`;
    this.calls.push({ what, outcome, elapsedMs, budgetMs });
    return settled;
  }

  /**
   * The unrelated healthy server's call (or turn), timed: it must succeed within its own budget
   * whatever the hostile server does meanwhile. Records `healthy <what> ms`.
   */
  async healthy<T>(what: string, budgetMs: number, run: () => Promise<T>): Promise<T> {
    const settled = await this.settle(`healthy ${what}`, budgetMs, run);
    this.measure(`healthy ${what} ms`, settled.elapsedMs);
    if (!settled.ok) throw settled.error;
    if (settled.elapsedMs > budgetMs)
      this.slowHealthy.push(`${what}: ${Math.round(settled.elapsedMs)} ms > ${budgetMs} ms`);
    return settled.value;
  }

  /**
   * Event-loop delay while `run` runs (p99 and max, wall ms) and the longest stall in this
   * process's CPU ms, recorded under `label`. A stall's CPU time is what our code held the loop
   * for; its wall time also counts the time the OS gave the CPU to other processes.
   */
  async loopDelay<T>(label: string, run: () => Promise<T>): Promise<T> {
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const stalls = new StallMeter();
    try {
      return await run();
    } finally {
      histogram.disable();
      stalls.stop();
      this.measure(`${label} loop delay p99 ms`, histogram.percentile(99) / 1e6);
      this.measure(`${label} loop delay max ms`, histogram.max / 1e6);
      this.measure(`${label} longest stall CPU ms`, stalls.longestCpuMs);
    }
  }

  async cleanup(): Promise<void> {
    const cleanups = this.#cleanups.splice(0).reverse();
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

/**
 * Ticks every 5 ms and keeps the longest gap between two ticks in CPU ms of this process (the
 * smaller of its wall and CPU time, since helper threads can add CPU beyond the wall): on a loaded
 * machine a gap of wall time can be the OS running others; a gap of CPU time is work that held our
 * event loop.
 */
class StallMeter {
  longestCpuMs = 0;
  #wall = performance.now();
  #cpu = cpuMs();
  readonly #timer = setInterval(() => {
    const wall = performance.now();
    const cpu = cpuMs();
    this.longestCpuMs = Math.max(this.longestCpuMs, Math.min(wall - this.#wall, cpu - this.#cpu));
    this.#wall = wall;
    this.#cpu = cpu;
  }, 5);

  stop(): void {
    clearInterval(this.#timer);
  }
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
}

const records: HostileRecord[] = [];

/** Heap in use after a full collection, MB. */
function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/**
 * Runs one hostile class: `body` drives the hostile and healthy servers and asserts the class's own
 * expectations; the shared invariants are checked here. The record is written whether it passed
 * or not; a failure is rethrown (a class with a known defect runs under `it.fails`).
 */
export async function runCase(
  id: string,
  label: string,
  body: (c: HostileCase) => Promise<void>,
  reason?: string,
): Promise<void> {
  const started = performance.now();
  const c = new HostileCase();
  const watch = new UnhandledWatch();
  watch.install(); // before the probe: its own listeners are no leak
  const heapBefore = heapMb();
  const before = probeProcess();
  let failure: string | undefined;
  try {
    await body(c);
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  await c.cleanup();
  const leaks = await leaksSince(before);
  await new Promise<void>((resolve) => setImmediate(resolve));
  watch.uninstall();
  const heapGrowth = heapMb() - heapBefore;
  c.measure('heap growth MB', heapGrowth);
  const invariants: HostileInvariants = {
    settledInTime: c.late.length === 0,
    typedErrors: c.untyped.length === 0,
    noUnhandled: watch.seen.length === 0,
    healthyWithinBudget: c.slowHealthy.length === 0,
    noChildProcess: leaks.children.length === 0,
    noOpenHandles: leaks.handles.length === 0,
    noListenerLeak: leaks.listeners.length === 0,
    boundedHeap: heapGrowth < HEAP_GROWTH_LIMIT_MB,
  };
  const broken = Object.entries(invariants)
    .filter(([, held]) => !held)
    .map(([name]) => name);
  if (!failure && broken.length > 0) {
    const detail = [
      ...c.late,
      ...c.untyped,
      ...watch.seen,
      ...c.slowHealthy,
      ...leaks.handles,
      ...leaks.listeners,
    ];
    if (leaks.children.length > 0) detail.push(`children ${leaks.children.join(', ')}`);
    failure = `invariants broken: ${broken.join(', ')} (${detail.join('; ')})`;
  }
  records.push({
    id,
    label,
    order: records.length,
    status: failure ? 'fail' : 'pass',
    measured: c.measured,
    invariants,
    calls: c.calls,
    durationMs: Math.round(performance.now() - started),
    ...(failure ? { failure: failure.slice(0, 2_000) } : {}),
    ...(reason ? { reason } : {}),
  });
  if (failure) throw new Error(failure);
}

/** Writes every record of this run to test-results/hostile.json (afterAll). */
export function writeResults(): void {
  const dir = fileURLToPath(new URL('../../test-results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file: HostileFile = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    slackMs: SLACK_MS,
    cases: records,
  };
  writeFileSync(`${dir}hostile.json`, `${JSON.stringify(file, null, 2)}\n`);
}
