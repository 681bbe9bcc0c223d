import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FleetResult } from '../../bench/fleet.js';
import type { MicroTiming } from '../../bench/lib/micro.js';
import type { BenchResults } from '../../bench/lib/results.js';
import { summarize } from '../../bench/lib/stats.js';
import { renderMarkdown } from '../../bench/report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The committed results: a real run's machine record and sections, in the format bench/run.ts writes. */
const committed = JSON.parse(readFileSync(`${ROOT}bench/results.json`, 'utf8')) as BenchResults;

function timing(id: string, label: string, batch: number, perRound: number[]): MicroTiming {
  return {
    id,
    label,
    batch,
    perRound,
    nsPerOp: summarize(perRound),
    meanNsPerOp: summarize(perRound),
    madNsPerOp: 0,
    samples: perRound.length * 10,
  };
}

/** A fleet result as bench/fleet.ts returns it; the on/off ratios are paired per round, as there. */
function fleetResult(callToolOnFactor: number): FleetResult {
  const timings = {
    breakerOff: timing('breakerOff', 'CircuitBreaker.execute, no fleet', 100, [100, 110, 120, 130, 140]),
    breakerOn: timing('breakerOn', 'CircuitBreaker.execute, fleet', 100, [101, 111, 121, 131, 141]),
    callToolOff: timing('callToolOff', 'callTool, no fleet', 1, [30_000, 31_000, 32_000, 33_000, 34_000]),
    callToolOn: timing(
      'callToolOn',
      'callTool, fleet',
      1,
      [30_000, 31_000, 32_000, 33_000, 34_000].map((v) => v * callToolOnFactor),
    ),
  };
  const paired = (on: MicroTiming, off: MicroTiming) =>
    summarize(on.perRound.map((v, i) => v / (off.perRound[i] ?? Number.NaN)));
  return {
    replicas: 4,
    threshold: 5,
    without: { deadCalls: [20, 20, 21], probes: [4, 4, 3] },
    with: { deadCalls: [6, 5, 7], probes: [1, 1, 1] },
    timings,
    ratios: {
      breaker: paired(timings.breakerOn, timings.breakerOff),
      callTool: paired(timings.callToolOn, timings.callToolOff),
    },
    redisCommandsDuringCalls: 0,
  };
}

function results(fleet: FleetResult | undefined, others: boolean): BenchResults {
  // The committed results may hold a fleet section of their own: the test decides which one counts.
  const { fleet: _committedFleet, ...rest } = committed.sections;
  const sections = others ? rest : {};
  return {
    machine: committed.machine,
    totalWallMs: 20_000,
    failures: {},
    sections: fleet ? { ...sections, fleet: { result: fleet, wallMs: 18_000, load: [0.5, 0.7] } } : sections,
  };
}

/** The table row of `md` whose first cell starts with `first`. */
function row(md: string, first: string): string {
  const found = md.split('\n').find((l) => l.startsWith(`| ${first}`));
  expect(found, first).toBeDefined();
  return found ?? '';
}

describe('docs/performance.md: the fleet section (issue 16)', () => {
  it('renders dead-server calls and probes with and without the fleet, the on/off cost, and a met target', () => {
    const md = renderMarkdown(results(fleetResult(1.02), true));
    expect(md).toContain('## 8. A fleet: 4 replicas sharing breaker state over Redis, one dead server');
    expect(md).toContain('## Targets (issues 7, 13 and 16)');
    expect(row(md, 'calls that reached the dead server')).toBe(
      '| calls that reached the dead server before every replica rejected | 20 (20 – 21) | 6 (5 – 7) | 0.300× | ≤ 9 (threshold + replicas) |',
    );
    expect(row(md, 'half-open probes')).toBe(
      '| half-open probes that reached it once it was back | 4 (3 – 4) | 1 (1 – 1) | 0.250× | exactly one |',
    );
    expect(md).toContain('| 4 replicas, one dead server (median, min – max of 3 runs) |');
    // Medians and p25 – p75 of the rounds, then the paired ratio and its spread.
    expect(row(md, '`CircuitBreaker.execute`')).toBe(
      '| `CircuitBreaker.execute` of a resolved function (100 per sample) | 120 | 110 – 130 | 121 | 111 – 131 | 1.008× | 1.008 – 1.009 |',
    );
    expect(row(md, '`ServerConnection.callTool`')).toBe(
      '| `ServerConnection.callTool` to an in-memory server | 32,000 | 31,000 – 33,000 | 32,640 | 31,620 – 33,660 | 1.020× | 1.020 – 1.020 |',
    );
    const target = row(md, 'Fleet on / off per call ≤ 1.05×');
    expect(target).toContain('`callTool` 1.020×');
    expect(target).toContain('`CircuitBreaker.execute` 1.008×');
    expect(target.endsWith('| met |')).toBe(true);
    expect(md).toContain(
      'the dead server got 6 calls with the fleet against 20 without (medians), and 1 probe',
    );
    expect(md).toContain('The worse of the two medians is 1.020×, within the issue');
    expect(md).toContain('processed 0 commands while the timed calls ran');
    // The other sections still render from the committed results.
    expect(md).toContain('## 1. Per-call overhead on the happy path');
    expect(md).toMatch(/per section .*fleet 0\.5→0\.7/);
  });

  it('a fleet costing more than 1.05× per call is a missed target, without the happy-path plan', () => {
    const md = renderMarkdown(results(fleetResult(1.2), false));
    const target = row(md, 'Fleet on / off per call ≤ 1.05×');
    expect(target).toContain('`callTool` 1.200×');
    expect(target.endsWith('| **missed** |')).toBe(true);
    const missed = md.slice(md.indexOf('## Missed targets'));
    expect(missed).toContain('- **Fleet on / off per call ≤ 1.05×');
    expect(missed).not.toContain('**Plan**');
    expect(md).toContain('The worse of the two medians is 1.200×, over the issue');
  });

  it('without a fleet section: not run, no fleet target', () => {
    const md = renderMarkdown(results(undefined, true));
    expect(md).toContain('## 8. A fleet: several replicas sharing breaker state over Redis, one dead server');
    expect(md.slice(md.indexOf('## 8.'))).toMatch(/^## 8\.[^\n]*\n\n_Not run\._/);
    expect(md).toContain('## Targets (issues 7 and 13)');
    expect(md).not.toContain('Fleet on / off');
  });

  it("the fleet section's text states no figure of its own (the rule of bench/reportProse.ts)", () => {
    const source = readFileSync(`${ROOT}bench/report.ts`, 'utf8');
    const start = source.indexOf('/** `median (min – max)` of per-run counts. */');
    const end = source.indexOf('function targets(');
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const fixed = source.slice(start, end).replace(/\$\{[^}]*\}/g, '');
    expect(fixed).not.toMatch(/\b\d+(\.\d+)?\s?(ms|µs|ns|KiB|×)\b/);
    expect(fixed).toContain('threshold + replicas'); // the slice is the fleet's text
  });
});
