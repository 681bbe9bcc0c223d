import { Bench } from 'tinybench';
import type { BenchConfig } from './config.js';
import { type Spread, summarize } from './stats.js';
import type { Subject } from './subjects.js';

/** Timing of one subject over all rounds. */
export interface MicroTiming {
  id: string;
  label: string;
  batch: number;
  /**
   * Median latency per operation of each round (tinybench per-sample p50 / batch), in round order.
   * The median, not the mean: on a shared machine a few samples per round include the process
   * being descheduled for milliseconds, which would swamp a mean of microsecond calls.
   */
  perRound: number[];
  /** Median and spread of `perRound`: the headline ns/op. */
  nsPerOp: Spread;
  /** Mean ns per operation of each round (tinybench `period` / batch), summarized: includes GC pauses and stalls. */
  meanNsPerOp: Spread;
  /** Median over rounds of each round's per-sample MAD, ns/op: the spread inside a round. */
  madNsPerOp: number;
  samples: number;
}

/**
 * Runs every subject under tinybench for `config.rounds` short rounds (tens of ms per subject),
 * rotating the order each round so no subject always runs first or last. Ratios are then taken per
 * round, between figures measured a fraction of a second apart: on a shared machine the load from
 * other processes comes and goes over seconds and slows every variant of a round alike, so pairing
 * by round cancels most of it where one long run per subject would not.
 */
export async function timeRounds(
  subjects: readonly Subject[],
  config: BenchConfig,
  log: (line: string) => void,
): Promise<Record<string, MicroTiming>> {
  const rounds: Record<string, { mean: number[]; p50: number[]; mad: number[]; samples: number }> = {};
  for (const s of subjects) {
    rounds[s.id] = { mean: [], p50: [], mad: [], samples: 0 };
    await s.run(s.batch * 300); // JIT and lazy caches warm before the first round
  }
  for (let r = 0; r < config.rounds; r++) {
    const order = subjects.map((_, i) => subjects[(i + r) % subjects.length]!);
    const bench = new Bench({
      time: config.taskTimeMs,
      iterations: 8,
      warmup: r === 0,
      warmupTime: config.warmupMs,
      throws: true,
    });
    for (const s of order) bench.add(s.id, () => s.run(s.batch));
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      const subject = subjects.find((s) => s.id === task.name)!;
      if (result.state !== 'completed') throw new Error(`task ${task.name} ended ${result.state}`);
      const perOp = 1e6 / subject.batch;
      const own = rounds[task.name]!;
      own.mean.push(result.period * perOp);
      own.p50.push(result.latency.p50 * perOp);
      own.mad.push(result.latency.mad * perOp);
      own.samples += result.latency.df + 1;
    }
    if ((r + 1) % Math.ceil(config.rounds / 6) === 0)
      log(
        `  round ${r + 1}/${config.rounds}: ${subjects
          .map((s) => `${s.id} ${Math.round(rounds[s.id]!.p50.at(-1) ?? 0)} ns`)
          .join(', ')}`,
      );
  }
  const out: Record<string, MicroTiming> = {};
  for (const s of subjects) {
    const own = rounds[s.id]!;
    out[s.id] = {
      id: s.id,
      label: s.label,
      batch: s.batch,
      perRound: own.p50,
      nsPerOp: summarize(own.p50),
      meanNsPerOp: summarize(own.mean),
      madNsPerOp: summarize(own.mad).median,
      samples: own.samples,
    };
  }
  return out;
}

/** Per-round ratio a/b (same round), summarized. */
export function pairedRatio(a: MicroTiming, b: MicroTiming): Spread {
  return summarize(a.perRound.map((v, i) => v / (b.perRound[i] ?? Number.NaN)));
}

/** Per-round difference a-b in ns (same round), summarized. */
export function pairedDiff(a: MicroTiming, b: MicroTiming): Spread {
  return summarize(a.perRound.map((v, i) => v - (b.perRound[i] ?? Number.NaN)));
}
