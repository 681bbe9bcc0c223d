// Section 2: the cost of a call rejected by an open breaker, ours vs cockatiel vs opossum.
import type { BenchConfig } from './lib/config.js';
import { type MicroTiming, pairedRatio, timeRounds } from './lib/micro.js';
import type { Spread } from './lib/stats.js';
import { closeAll, failFastSubjects } from './lib/subjects.js';

export interface FailFastResult {
  timings: Record<string, MicroTiming>;
  /** `<ours>/<peer>` -> per-round ratio of ns per rejected call. */
  ratios: Record<string, Spread>;
}

const OURS = ['oursAdmitIsolated', 'oursAdmitOpen', 'oursExecute', 'oursCallTool'];
const PEERS = ['cockatielBreaker', 'cockatielPolicy', 'opossum'];

export async function run(config: BenchConfig, log: (line: string) => void): Promise<FailFastResult> {
  const subjects = await failFastSubjects();
  try {
    const timings = await timeRounds(subjects, config, log);
    const ratios: Record<string, Spread> = {};
    for (const ours of OURS) {
      for (const peer of PEERS) ratios[`${ours}/${peer}`] = pairedRatio(timings[ours]!, timings[peer]!);
    }
    return { timings, ratios };
  } finally {
    await closeAll(subjects);
  }
}
