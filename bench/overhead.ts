// Section 1: per-call cost on the happy path over InMemoryTransport, ours vs the raw SDK and peers.
import type { BenchConfig } from './lib/config.js';
import { type Diagnostic, runDiagnostics } from './lib/diagnostics.js';
import { type MicroTiming, pairedDiff, pairedRatio, timeRounds } from './lib/micro.js';
import type { Spread } from './lib/stats.js';
import { summarize } from './lib/stats.js';
import { closeAll, happyPathSubjects } from './lib/subjects.js';

export interface OverheadResult {
  timings: Record<string, MicroTiming>;
  /** Each wrapper's time per call over the raw call's, per round. */
  ratioToRaw: Record<string, Spread>;
  /** Each wrapper's added ns per call (wrapper - raw), per round. */
  addedNs: Record<string, Spread>;
  /** Our time per call over each peer's, per round. */
  oursToPeer: Record<string, Spread>;
  /** Our added cost over each peer's added cost, per round (< 1: we add less). */
  addedToPeerAdded: Record<string, Spread>;
  /**
   * Our added cost split per round: `events` = ours - oursQuiet (two events to one subscriber),
   * `rest` = oursQuiet - raw (everything else ours adds without a subscriber), and beside them, as a
   * reference our call does not pay without a caller signal, `signal` = rawSignal - raw (an
   * AbortController and a timer per call).
   */
  attribution: Record<'signal' | 'events' | 'rest', Spread>;
  /** Building blocks of the per-call cost, timed alone in a tight loop. */
  diagnostics: Record<string, Diagnostic>;
}

export async function run(config: BenchConfig, log: (line: string) => void): Promise<OverheadResult> {
  const subjects = await happyPathSubjects();
  try {
    const timings = await timeRounds(subjects, config, log);
    const raw = timings.raw!;
    const ratioToRaw: Record<string, Spread> = {};
    const addedNs: Record<string, Spread> = {};
    for (const [id, t] of Object.entries(timings)) {
      if (id === 'raw') continue;
      ratioToRaw[id] = pairedRatio(t, raw);
      addedNs[id] = pairedDiff(t, raw);
    }
    const ours = timings.ours!;
    const oursToPeer: Record<string, Spread> = {};
    const addedToPeerAdded: Record<string, Spread> = {};
    for (const peer of ['cockatiel', 'opossum']) {
      const p = timings[peer]!;
      oursToPeer[peer] = pairedRatio(ours, p);
      addedToPeerAdded[peer] = summarize(
        ours.perRound.map((v, i) => {
          const r = raw.perRound[i] ?? Number.NaN;
          return (v - r) / ((p.perRound[i] ?? Number.NaN) - r);
        }),
      );
    }
    const attribution = {
      signal: pairedDiff(timings.rawSignal!, raw),
      events: pairedDiff(ours, timings.oursQuiet!),
      rest: pairedDiff(timings.oursQuiet!, raw),
    };
    const diagnostics = runDiagnostics(config.quick);
    return { timings, ratioToRaw, addedNs, oursToPeer, addedToPeerAdded, attribution, diagnostics };
  } finally {
    await closeAll(subjects);
  }
}
