import { PerformanceObserver } from 'node:perf_hooks';
import { type Spread, summarize } from './stats.js';
import type { Subject } from './subjects.js';

/** Allocated bytes per operation of one subject. */
export interface AllocFigure {
  id: string;
  bytesPerOp: Spread;
  /** Bytes per operation of each round's sample, in round order (for per-round differences). */
  samples: number[];
  opsPerSample: number;
  /** Samples thrown away because a GC ran inside them (their heap delta undercounts). */
  discarded: number;
}

const gcStarts: number[] = [];
let observer: PerformanceObserver | undefined;

function watchGc(): void {
  if (observer) return;
  observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcStarts.push(entry.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function sample(subject: Subject, n: number, gc: () => void): Promise<number | undefined> {
  gc();
  await tick();
  const started = performance.now();
  const before = process.memoryUsage().heapUsed;
  await subject.run(n);
  const after = process.memoryUsage().heapUsed;
  await tick();
  await tick();
  return gcStarts.some((t) => t >= started) ? undefined : (after - before) / n;
}

/**
 * Bytes allocated per operation: full GC, read `heapUsed`, run N operations, read it again. The
 * process runs with a 64 MiB semi-space (`--min/max-semi-space-size=64`) so that no scavenge runs
 * inside a sample; a sample during which V8 reports any GC is discarded and retried with N halved.
 * Samples of the subjects are interleaved (round r runs every subject once, order rotated), so a
 * one-off allocation (a lazily built cache) cannot land on one subject only. Everything the
 * operation leaves on the JS heap counts, including what the in-memory server allocates to answer
 * (the same for every variant of a table, so differences are the wrappers').
 */
export async function measureAllocations(
  subjects: readonly Subject[],
  ops: number,
  samples: number,
): Promise<Record<string, AllocFigure>> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  watchGc();
  const state = new Map(subjects.map((s) => [s.id, { values: [] as number[], n: ops, discarded: 0 }]));
  for (const s of subjects) await s.run(Math.min(ops, 1_000)); // warm: JIT, lazy SDK caches, listener arrays
  for (let round = 0; round < samples; round++) {
    for (let i = 0; i < subjects.length; i++) {
      const subject = subjects[(i + round) % subjects.length]!;
      const own = state.get(subject.id)!;
      for (;;) {
        const value = await sample(subject, own.n, gc);
        if (value !== undefined) {
          own.values.push(value);
          break;
        }
        own.discarded++;
        if (own.discarded > samples * 3) throw new Error(`${subject.id}: a GC ran inside every sample`);
        own.n = Math.max(10, Math.floor(own.n / 2));
      }
    }
  }
  const out: Record<string, AllocFigure> = {};
  for (const [id, own] of state) {
    out[id] = {
      id,
      bytesPerOp: summarize(own.values),
      samples: own.values,
      opsPerSample: own.n,
      discarded: own.discarded,
    };
  }
  return out;
}

/**
 * Per-round difference `a − b` in bytes per operation. Rounds run every subject within a few
 * milliseconds, so what drifts between rounds (the heap's layout, JIT tiers) cancels out of the
 * difference better than out of two medians taken apart.
 */
export function pairedDifference(a: AllocFigure, b: AllocFigure): Spread {
  // Results written before samples were kept have none: the difference is then NaN, not a guess.
  const n = Math.min(a.samples?.length ?? 0, b.samples?.length ?? 0);
  return summarize(Array.from({ length: n }, (_, i) => a.samples[i]! - b.samples[i]!));
}

/** Node flags of the process that runs {@link bytesPerOp}. */
export const ALLOC_NODE_FLAGS = ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'];
