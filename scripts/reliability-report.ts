// Generates docs/reliability.md from what the tests measured (never typed by hand):
//   test-results/chaos/<transport>.json   the chaos matrix (test/chaos/*.test.ts)
//   test-results/coverage.json            machine coverage (test/machines/coverage.test.ts)
//   test-results/soak.json                load and soak figures (test/soak/*.test.ts)
//   test-results/conformance.json         MCP conformance (npm run test:conformance)
//   reports/mutation/mutation.json        Stryker's JSON report, when present
// Usage: npx vitest run test/chaos test/machines/coverage.test.ts test/soak && npx tsx scripts/reliability-report.ts
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type CellResult,
  type CellStatus,
  type ChaosEra,
  type ChaosFile,
  type CoverageFile,
  columnId,
  type TransportName,
} from '../test/chaos/results.js';
import type { ConformanceReport } from '../test/conformance/report.js';
import type { HostileFile, HostileInvariants } from '../test/hostile/results.js';
import type { SoakReport } from '../test/soak/report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (path: string) => `${root}${path}`;

function readJson<T>(path: string): T | undefined {
  return existsSync(at(path)) ? (JSON.parse(readFileSync(at(path), 'utf8')) as T) : undefined;
}

/** Matrix columns: each transport against 2025-era (v1) servers, then against 2026-07-28-only servers. */
const TRANSPORTS: { name: string; title: string }[] = [
  { name: 'stdio', title: 'stdio' },
  { name: 'streamableHttp', title: 'Streamable HTTP' },
  { name: 'sse', title: 'SSE (legacy)' },
  { name: columnId('stdio', '2026'), title: 'stdio, 2026-07-28' },
  { name: columnId('streamableHttp', '2026'), title: 'Streamable HTTP, 2026-07-28' },
];
const columnOf = (f: { transport: TransportName; era?: ChaosEra | undefined }) =>
  columnId(f.transport, f.era ?? '2025');
const ICON: Record<CellStatus, string> = { pass: '✅', fail: '❌', gap: '⚠️', 'n/a': '➖' };
const cellText = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function chaosSection(files: ChaosFile[]): string[] {
  if (files.length === 0)
    return ['## Chaos matrix', '', '_No chaos results found: run `npx vitest run test/chaos`._'];
  const byTransport = new Map(files.map((f) => [columnOf(f), f]));
  const rows = new Map<string, { label: string; order: number; cells: Map<string, CellResult> }>();
  for (const file of files) {
    for (const cell of file.cells) {
      const row = rows.get(cell.fault) ?? { label: cell.label, order: cell.order, cells: new Map() };
      row.cells.set(columnOf(file), cell);
      rows.set(cell.fault, row);
    }
  }
  const columns = TRANSPORTS.filter((t) => byTransport.has(t.name));
  const all = files.flatMap((f) => f.cells);
  const count = (s: CellStatus) => all.filter((c) => c.status === s).length;
  const out = [
    '## Chaos matrix (fault x transport x protocol era)',
    '',
    `${all.length} cells: ${count('pass')} pass, ${count('fail')} fail (known bugs), ${count('gap')} gap, ${count('n/a')} n/a. ` +
      `Slack over each call's deadline: ${files[0]?.slackMs ?? '?'} ms. Node ${files[0]?.node ?? '?'}, ` +
      `measured ${files.map((f) => f.generatedAt).sort()[0] ?? '?'}.`,
    '',
    `${ICON.pass} pass · ${ICON.fail} fail (a defect in src/, the cell asserts the correct behaviour as \`it.fails\`) · ` +
      `${ICON.gap} gap (observed behaviour asserted; the feature is missing) · ${ICON['n/a']} not applicable`,
    '',
    `| Fault | ${columns.map((c) => c.title).join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
  ];
  for (const row of [...rows.values()].sort((a, b) => a.order - b.order)) {
    const cells = columns.map((c) => {
      const cell = row.cells.get(c.name);
      return cell ? `${ICON[cell.status]} ${cellText(cell.summary)}` : '(not run)';
    });
    out.push(`| ${row.label} | ${cells.join(' | ')} |`);
  }
  out.push('', '### Invariants checked in every cell', '');
  out.push(`| Invariant | ${columns.map((c) => c.title).join(' | ')} |`);
  out.push(`| --- | ${columns.map(() => '---').join(' | ')} |`);
  const invariantNames = {
    settledInTime: 'every call settled within its deadline + slack',
    typedErrors: 'every rejection was a typed AzcoreError',
    noUnhandled: 'no unhandled rejection / uncaught exception',
    expectedState: 'the actor reached the expected states',
    noChildProcess: 'no child process left after cleanup',
    noOpenHandles: 'no more active handles than before',
    noListenerLeak: 'no more process listeners than before',
  } as const;
  for (const [key, text] of Object.entries(invariantNames) as [keyof typeof invariantNames, string][]) {
    const cells = columns.map((c) => {
      const run = (byTransport.get(c.name)?.cells ?? []).filter((cell) => cell.invariants);
      const held = run.filter((cell) => cell.invariants?.[key]).length;
      return `${held}/${run.length}`;
    });
    out.push(`| ${text} | ${cells.join(' | ')} |`);
  }
  const overruns = columns.map((c) => {
    const values = (byTransport.get(c.name)?.cells ?? []).flatMap((cell) =>
      cell.maxOverrunMs === undefined ? [] : [cell.maxOverrunMs],
    );
    return values.length > 0 ? `${Math.max(...values)} ms` : '-';
  });
  out.push(`| largest overrun of a deadline (negative: early) | ${overruns.join(' | ')} |`);
  const durations = columns.map((c) => {
    const ms = (byTransport.get(c.name)?.cells ?? []).reduce((sum, cell) => sum + cell.durationMs, 0);
    return `${(ms / 1000).toFixed(1)} s`;
  });
  out.push(`| time in cells | ${durations.join(' | ')} |`);

  const notable = all.filter((c) => c.status === 'fail' || c.status === 'gap');
  if (notable.length > 0) {
    out.push('', '### Failures and gaps', '');
    for (const cell of notable) {
      out.push(`- ${ICON[cell.status]} **${cell.label}** over ${columnOf(cell)}: ${cell.reason ?? ''}`);
      const observed = cell.calls.map((c) => `${c.what} -> ${c.outcome}`).join(', ');
      if (observed) out.push(`  - observed: ${observed}; states ${cell.states.join(' > ')}`);
      for (const note of cell.notes) out.push(`  - ${note}`);
    }
  }
  out.push(
    '',
    '### Cell details',
    '',
    '| Transport | Fault | States | Calls (outcome, elapsed / budget) | Notes |',
  );
  out.push('| --- | --- | --- | --- | --- |');
  for (const cell of all.filter((c) => c.status !== 'n/a')) {
    const calls = cell.calls
      .map((c) => `${c.what}: ${c.outcome} (${c.elapsedMs}/${c.budgetMs} ms)`)
      .join('<br>');
    out.push(
      `| ${columnOf(cell)} | ${cell.label} | ${cell.states.join(' > ')} | ${cellText(calls)} | ${cellText(cell.notes.join('; '))} |`,
    );
  }
  return out;
}

function coverageSection(file: CoverageFile | undefined): string[] {
  const out = ['## Model coverage (xstate/graph paths replayed on live actors)', ''];
  if (!file) return [...out, '_No coverage results: run `npx vitest run test/machines/coverage.test.ts`._'];
  out.push('| Machine | File | States | Transitions | Paths |', '| --- | --- | --- | --- | --- |');
  for (const m of file.machines) {
    out.push(
      `| ${m.id} | ${m.file} | ${m.states.covered}/${m.states.total} | ${m.transitions.covered}/${m.transitions.total} | ${m.paths} |`,
    );
  }
  for (const m of file.machines.filter((x) => x.missing.length > 0)) {
    out.push('', `Not covered in ${m.id}:`, ...m.missing.map((s) => `- \`${s}\``));
  }
  return out;
}

function soakSection(soak: SoakReport | undefined): string[] {
  const out = ['## Load and soak', ''];
  if (!soak) return [...out, '_No soak results: run `npx vitest run test/soak`._'];
  out.push('| Figure | Value |', '| --- | --- |');
  for (const [name, value] of soak.figures) out.push(`| ${name} | ${value} |`);
  return out;
}

function conformanceSection(report: ConformanceReport | undefined): string[] {
  const out = ['## MCP conformance (@modelcontextprotocol/conformance client scenarios)', ''];
  if (!report) return [...out, '_No conformance results: run `npm run test:conformance`._'];
  // node and durationMs are absent from results written before conformance 0.1.16.
  const node = report.node ? ` (${report.node})` : '';
  const took =
    report.durationMs === undefined ? '' : ` The run took ${(report.durationMs / 1000).toFixed(1)} s.`;
  out.push(`Package ${report.package}${node}, ${report.network}.${took}`, '');
  // Notes shared by many scenarios (the OAuth reason) are printed once, below the table.
  const notes: string[] = [];
  const ref = (note: string | undefined) => {
    if (!note) return '';
    if (!notes.includes(note)) notes.push(note);
    return `[${notes.indexOf(note) + 1}]`;
  };
  out.push('| Scenario | Result | Checks passed | Note |', '| --- | --- | --- | --- |');
  for (const s of report.scenarios) {
    const icon = s.status === 'pass' ? '✅' : s.status === 'expected-failure' ? '➖ expected failure' : '❌';
    out.push(`| ${s.scenario} | ${icon} | ${s.passed}/${s.passed + s.failed} | ${ref(s.note)} |`);
  }
  out.push('', ...notes.map((note, i) => `[${i + 1}] ${cellText(note)}`).flatMap((line) => [line, '']));
  const counts = (status: string) => report.scenarios.filter((s) => s.status === status).length;
  out.push(
    `${counts('pass')} pass, ${counts('expected-failure')} expected failures, ${counts('fail')} failures, ` +
      `${counts('unexpected-pass')} unexpected passes.`,
  );
  return out;
}

interface MutationReport {
  files: Record<string, { mutants: { status: string }[] }>;
}

/** Stryker's score per folder: (killed + timeout) / (all but ignored, compile and runtime errors). */
function mutationSection(report: unknown): string[] {
  const out = ['## Mutation testing (Stryker)', ''];
  const files = (report as Partial<MutationReport> | undefined)?.files;
  if (!files) return [...out, '_No Stryker report (reports/mutation/mutation.json) in this run._'];
  const groups = new Map<string, { detected: number; valid: number; survived: number }>();
  for (const [path, file] of Object.entries(files)) {
    const group = path.split('/').slice(0, -1).join('/') || '.';
    const g = groups.get(group) ?? { detected: 0, valid: 0, survived: 0 };
    for (const m of file.mutants) {
      if (['Ignored', 'CompileError', 'RuntimeError'].includes(m.status)) continue;
      g.valid++;
      if (m.status === 'Killed' || m.status === 'Timeout') g.detected++;
      if (m.status === 'Survived') g.survived++;
    }
    groups.set(group, g);
  }
  out.push('| Folder | Score | Survived |', '| --- | --- | --- |');
  for (const [group, g] of [...groups].sort()) {
    const score = g.valid > 0 ? `${((100 * g.detected) / g.valid).toFixed(1)}%` : '-';
    out.push(`| ${group} | ${score} (${g.detected}/${g.valid}) | ${g.survived} |`);
  }
  return out;
}

const HOSTILE_INVARIANTS: Record<keyof HostileInvariants, string> = {
  settledInTime: 'in time',
  typedErrors: 'typed errors',
  noUnhandled: 'no unhandled',
  healthyWithinBudget: 'healthy server within its budget',
  noChildProcess: 'no child left',
  noOpenHandles: 'no handle left',
  noListenerLeak: 'no listener left',
  boundedHeap: 'bounded heap',
};

/** test-results/hostile.json (test/hostile): a row per hostile-server class. */
function hostileSection(file: HostileFile | undefined): string[] {
  if (!file)
    return [
      '## Hostile servers',
      '',
      '_No hostile-server results found: run `npx vitest run test/hostile`._',
    ];
  const cases = [...file.cases].sort((a, b) => a.order - b.order);
  const failed = cases.filter((c) => c.status === 'fail');
  const out = [
    '## Hostile servers',
    '',
    `${cases.length} classes: ${cases.length - failed.length} pass, ${failed.length} fail (known bugs, run with \`it.fails\`). ` +
      'Each class runs a real hostile server (test/fixtures/hostile-server.mjs and the other fixtures) beside a ' +
      'healthy one on the same bus or in the same team, and times the healthy server while the hostile one ' +
      `misbehaves. Invariants of every class: ${Object.values(HOSTILE_INVARIANTS).join(', ')} ` +
      `(slack ${file.slackMs} ms, ${file.node}, ${file.generatedAt.slice(0, 10)}).`,
    '',
    '| Class | Result | Measured | Invariants | Time |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const c of cases) {
    const measured = Object.entries(c.measured)
      .map(([k, v]) => `${k}: ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
      .join('; ');
    const entries = Object.entries(c.invariants) as [keyof HostileInvariants, boolean][];
    const broken = entries.filter(([, held]) => !held).map(([k]) => HOSTILE_INVARIANTS[k]);
    const invariants = broken.length === 0 ? `all ${entries.length}` : `broken: ${broken.join(', ')}`;
    out.push(
      `| ${cellText(c.label)} | ${ICON[c.status]} | ${cellText(measured)} | ${invariants} | ${(c.durationMs / 1000).toFixed(1)} s |`,
    );
  }
  if (failed.length > 0) {
    out.push('', '### Hostile classes that fail', '');
    for (const c of failed) {
      out.push(`- ❌ **${cellText(c.label)}** (\`${c.id}\`): ${cellText(c.reason ?? '')}`);
      if (c.failure) out.push(`  - assertion: ${cellText(c.failure.slice(0, 300))}`);
    }
  }
  return out;
}

const chaosDir = at('test-results/chaos/');
const chaosFiles = existsSync(chaosDir)
  ? readdirSync(chaosDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(`${chaosDir}${f}`, 'utf8')) as ChaosFile)
      .sort(
        (a, b) =>
          TRANSPORTS.findIndex((t) => t.name === columnOf(a)) -
          TRANSPORTS.findIndex((t) => t.name === columnOf(b)),
      )
  : [];

const doc = [
  '# Reliability',
  '',
  '<!-- Generated by scripts/reliability-report.ts from test-results/; do not edit by hand. -->',
  '',
  'What the test suite measured about azcore under faults. Regenerate with',
  '`npx vitest run test/chaos test/machines/coverage.test.ts test/soak && npm run test:conformance && npx tsx scripts/reliability-report.ts`.',
  '',
  ...chaosSection(chaosFiles),
  '',
  ...hostileSection(readJson<HostileFile>('test-results/hostile.json')),
  '',
  ...coverageSection(readJson<CoverageFile>('test-results/coverage.json')),
  '',
  ...soakSection(readJson<SoakReport>('test-results/soak.json')),
  '',
  ...conformanceSection(readJson<ConformanceReport>('test-results/conformance.json')),
  '',
  ...mutationSection(readJson<unknown>('reports/mutation/mutation.json')),
  '',
];
writeFileSync(at('docs/reliability.md'), doc.join('\n'));
console.log(`wrote docs/reliability.md (${chaosFiles.reduce((n, f) => n + f.cells.length, 0)} chaos cells)`);
