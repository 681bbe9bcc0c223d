// `npm run bench`: runs every section in its own Node process, then writes bench/results.json and
// docs/performance.md. BENCH_QUICK=1 for a short smoke run; BENCH_ONLY=overhead,scale to re-run some
// sections and keep the others from the existing results.json; BENCH_OUT=<dir> writes both files
// there instead (a trial run that leaves the committed report alone).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { ALLOC_NODE_FLAGS } from './lib/alloc.js';
import { runSection } from './lib/child.js';
import { compileForBench } from './lib/compile.js';
import { benchConfig } from './lib/config.js';
import type { BenchResults, SectionResults } from './lib/results.js';
import { machineInfo } from './machine.js';
import { RESULTS_PATH, writeReport } from './report.js';

interface SectionPlan {
  name: keyof SectionResults;
  flags: string[];
  timeoutMs: number;
}

const PLAN: SectionPlan[] = [
  { name: 'overhead', flags: ['--expose-gc'], timeoutMs: 240_000 },
  { name: 'failFast', flags: ['--expose-gc'], timeoutMs: 240_000 },
  { name: 'allocation', flags: ALLOC_NODE_FLAGS, timeoutMs: 180_000 },
  { name: 'recovery', flags: [], timeoutMs: 180_000 },
  { name: 'startup', flags: [], timeoutMs: 300_000 },
  { name: 'scale', flags: ['--expose-gc', '--max-old-space-size=3072'], timeoutMs: 240_000 },
  { name: 'fleet', flags: ['--expose-gc'], timeoutMs: 300_000 },
  { name: 'teamTurn', flags: [], timeoutMs: 900_000 },
];

const config = benchConfig();
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const previous: BenchResults | undefined =
  only && existsSync(RESULTS_PATH)
    ? (JSON.parse(readFileSync(RESULTS_PATH, 'utf8')) as BenchResults)
    : undefined;
const sections: SectionResults = previous ? { ...previous.sections } : {};
const failures: Record<string, string> = {};
const machine = machineInfo(config);
const started = performance.now();
process.stderr.write(
  `azcore bench (${config.quick ? 'quick' : 'full'}) on ${machine.cpuModel} x${machine.cpus}, Node ${machine.node}, load ${machine.loadAverageAtStart.toFixed(1)}\n`,
);
process.stderr.write('== compiling src/, machines/, bench/ and the fixtures as tsc emits them\n');
const build = compileForBench();
for (const plan of PLAN) {
  if (only && !only.includes(plan.name)) continue;
  process.stderr.write(`== ${plan.name}\n`);
  const before = os.loadavg()[0] ?? 0;
  try {
    const { result, wallMs } = await runSection<never>(
      build.sectionEntry,
      plan.name,
      plan.flags,
      plan.timeoutMs,
    );
    const record = { result, wallMs, load: [before, os.loadavg()[0] ?? 0] as [number, number] };
    (sections as Record<string, unknown>)[plan.name] = record;
    process.stderr.write(`   ${plan.name} done in ${(wallMs / 1000).toFixed(1)} s\n`);
  } catch (e) {
    failures[plan.name] = e instanceof Error ? e.message : String(e);
    process.exitCode = 1;
    process.stderr.write(`   ${plan.name} FAILED: ${failures[plan.name]}\n`);
  }
}
build.dispose();
const totalWallMs = performance.now() - started;
const results: BenchResults = { machine, totalWallMs, sections, failures };
const written = writeReport(results, process.env.BENCH_OUT || undefined);
process.stderr.write(`wrote ${written.join(' and ')} in ${(totalWallMs / 1000).toFixed(1)} s\n`);
