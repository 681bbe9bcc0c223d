// Allocated bytes per operation for sections 1 and 2 (run in a process with a large semi-space).
import { type AllocFigure, measureAllocations } from './lib/alloc.js';
import type { BenchConfig } from './lib/config.js';
import { closeAll, failFastSubjects, happyPathSubjects, type Subject } from './lib/subjects.js';

export interface AllocationResult {
  happyPath: Record<string, AllocFigure>;
  failFast: Record<string, AllocFigure>;
}

async function measure(
  subjects: Subject[],
  ops: number,
  config: BenchConfig,
  log: (line: string) => void,
): Promise<Record<string, AllocFigure>> {
  try {
    const out = await measureAllocations(subjects, ops, config.allocSamples);
    log(
      `  ${Object.values(out)
        .map((f) => `${f.id} ${Math.round(f.bytesPerOp.median)} B/op`)
        .join(', ')}`,
    );
    return out;
  } finally {
    await closeAll(subjects);
  }
}

export async function run(config: BenchConfig, log: (line: string) => void): Promise<AllocationResult> {
  const happyPath = await measure(await happyPathSubjects(), config.allocOps, config, log);
  // Rejections are cheap: more of them per sample keeps the heap delta well above noise.
  const failFast = await measure(await failFastSubjects(), config.allocOps * 5, config, log);
  return { happyPath, failFast };
}
