// npm run test:conformance: runs every client scenario of @modelcontextprotocol/conformance against
// test/conformance/client.ts (built on ServerConnection), writes test-results/conformance.json and
// exits non-zero when a scenario that must pass fails or an expected failure starts passing.
//
// The conformance CLI (0.1.16) declares Node >= 22: the npm script starts this file with Node 24
// from the npm registry's `node` package (`npx -y node@24`), and both the CLI and the client
// command run on that same Node (process.execPath). The client runs on Node 24 on purpose: one Node
// per run, none picked up from PATH, and the runtime is checked on the current LTS here while
// `npm test` checks it on Node 20. AZCORE_CONFORMANCE_CLIENT_NODE=/path/to/node runs the client
// command on another Node (for instance Node 20, the oldest one package.json allows).
//
// The scenario servers listen on all interfaces. Each run goes into a fresh network namespace
// (`unshare -n`, loopback only); where that is not allowed, a preload forces every listening
// socket onto 127.0.0.1 instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ConformanceReport, ScenarioResult, ScenarioStatus } from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const packageJson = require.resolve('@modelcontextprotocol/conformance/package.json');
const { version, engines } = JSON.parse(readFileSync(packageJson, 'utf8')) as {
  version: string;
  engines?: { node?: string };
};
const cli = `${packageJson.slice(0, -'package.json'.length)}dist/index.js`;
const tsx = require.resolve('tsx/cli');
const client = `${root}test/conformance/client.ts`;
const clientNode = process.env.AZCORE_CONFORMANCE_CLIENT_NODE || process.execPath;
const outDir = `${root}test-results/conformance/`;

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `@modelcontextprotocol/conformance@${version} needs Node ${engines?.node ?? '>= 22'}, this is ${process.version}: ` +
      'run `npm run test:conformance` (it starts Node 24 with `npx -y node@24`).',
  );
  process.exit(2);
}

/** Scenarios azcore must pass whose result depends on something beyond the runtime, and what. */
const MUST_PASS: Record<string, string | undefined> = {
  initialize: undefined,
  tools_call: undefined,
  'elicitation-sep1034-client-defaults':
    "answered through ServerConnection's `elicitation` option; accepting with the schema's defaults is the client command's policy (test/conformance/elicitationDefaults.ts), the runtime declines without a handler",
  'sse-retry': undefined,
};
/** How every OAuth scenario runs: the runtime's own OAuth, configured as an app would. */
const AUTH_NOTE =
  "the runtime's OAuth (config `oauth`, test/conformance/oauthSettings.ts); the person who approves is the client command following the authorization server's redirect and calling finishAuth";
const AUTH_NOTES: Record<string, string> = {
  'auth/2025-03-26-oauth-metadata-backcompat': `${AUTH_NOTE}; this 2025-03-26 server's metadata names another issuer, accepted by the per-server opt-in oauth.allowIssuerMismatch`,
  'auth/cross-app-access-complete-flow': `${AUTH_NOTE}; grant jwt_bearer with the ID-JAG from the client command's auth.assertion (an RFC 8693 exchange at the scenario's identity provider)`,
  'auth/scope-step-up': `${AUTH_NOTE}; a call refused for scope ends in AUTH_REQUIRED, the client command logs in again (login()) and repeats the call once`,
};
/** Scenarios that fail because of the runtime (src/), each with what is missing. None today. */
const RUNTIME_GAPS: Record<string, string> = {};

const isAuth = (scenario: string) => scenario.startsWith('auth/');
/** Every scenario must pass unless it is a listed runtime gap; a new one counts too. */
const mustPass = (scenario: string) => !(scenario in RUNTIME_GAPS);

const isolation = (() => {
  // AZCORE_CONFORMANCE_NETNS=0 forces the preload (to check the fallback where unshare is allowed).
  if (process.env.AZCORE_CONFORMANCE_NETNS === '0') return 'preload';
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
  return probe.status === 0 ? 'unshare' : 'preload';
})();

function command(args: string[]): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  if (isolation === 'unshare') {
    return {
      file: 'unshare',
      args: ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, cli, ...args],
      env: process.env,
    };
  }
  const preload = `${root}test/conformance/loopback.mjs`;
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim();
  return { file: process.execPath, args: [cli, ...args], env: { ...process.env, NODE_OPTIONS: nodeOptions } };
}

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  const { file, args: argv, env } = command(args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function clientScenarios(): Promise<string[]> {
  const { output } = await run(['list', '--client']);
  // `  - initialize [2025-06-18,2025-11-25]`: the name, then the spec versions it covers.
  const names = [...output.matchAll(/^\s+-\s+(\S+)(?:\s+\[[^\]]*\])?\s*$/gm)].map((m) => m[1] ?? '');
  return names.filter((name) => name.length > 0);
}

function findChecks(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir)) {
    const path = `${dir}/${entry}`;
    if (entry === 'checks.json') return path;
    if (statSync(path).isDirectory()) {
      const found = findChecks(path);
      if (found) return found;
    }
  }
  return undefined;
}

async function runScenario(scenario: string): Promise<ScenarioResult> {
  const dir = `${outDir}${scenario.replaceAll('/', '_')}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const { output } = await run([
    'client',
    '--command',
    `${clientNode} ${tsx} ${client}`,
    '--scenario',
    scenario,
    '--timeout',
    '60000',
    '-o',
    dir,
  ]);
  writeFileSync(`${dir}/output.txt`, output);
  const checksFile = findChecks(dir);
  const checks = checksFile ? (JSON.parse(readFileSync(checksFile, 'utf8')) as { status: string }[]) : [];
  const count = (status: string) => checks.filter((c) => c.status === status).length;
  const passed = count('SUCCESS');
  const failed = count('FAILURE') + (checksFile ? 0 : 1);
  const ok = failed === 0 && passed > 0;
  const required = mustPass(scenario);
  const status: ScenarioStatus = required
    ? ok
      ? 'pass'
      : 'fail'
    : ok
      ? 'unexpected-pass'
      : 'expected-failure';
  const note = !required
    ? RUNTIME_GAPS[scenario]
    : isAuth(scenario)
      ? (AUTH_NOTES[scenario] ?? AUTH_NOTE)
      : scenario in MUST_PASS
        ? MUST_PASS[scenario]
        : `new in conformance ${version}: it must pass; list it in MUST_PASS`;
  return {
    scenario,
    status,
    passed,
    failed,
    warnings: count('WARNING'),
    durationMs: Math.round(performance.now() - started),
    note,
  };
}

/** Runs `items` with at most `limit` at once, keeping their order in the result. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// AZCORE_CONFORMANCE=initialize,sse-retry runs only those (a quick local check).
const only = process.env.AZCORE_CONFORMANCE?.split(',').filter(Boolean);
const all = (await clientScenarios()).filter((s) => !only || only.includes(s));
const missing = Object.keys(MUST_PASS).filter((s) => !all.includes(s) && !only);
if (missing.length > 0) throw new Error(`conformance ${version} has no scenario ${missing.join(', ')}`);
const runStarted = performance.now();
// The ones not about OAuth run one at a time (sse-retry measures reconnect timing); the rest in parallel.
const core = await pool(
  all.filter((s) => !isAuth(s)),
  1,
  runScenario,
);
// The OAuth scenarios are independent servers and clients: a few at once.
const auth = await pool(all.filter(isAuth), 3, runScenario);
const scenarios = [...core, ...auth];
const clientVersion =
  clientNode === process.execPath
    ? process.version
    : spawnSync(clientNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
const report: ConformanceReport = {
  package: `@modelcontextprotocol/conformance@${version}`,
  node: `conformance CLI on Node ${process.version}, client command on Node ${clientVersion}`,
  network:
    isolation === 'unshare'
      ? 'each run in its own network namespace (unshare -n, loopback only)'
      : 'unshare not permitted: every listening socket forced onto 127.0.0.1 by a preload',
  generatedAt: new Date().toISOString(),
  durationMs: Math.round(performance.now() - runStarted),
  scenarios,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(`${root}test-results/conformance.json`, `${JSON.stringify(report, null, 2)}\n`);
for (const s of scenarios) {
  console.log(`${s.status.padEnd(16)} ${s.scenario.padEnd(45)} ${s.passed}/${s.passed + s.failed} checks`);
}
const bad = scenarios.filter((s) => s.status === 'fail' || s.status === 'unexpected-pass');
console.log(
  `${report.package}: ${scenarios.length} client scenarios, ${bad.length} unexpected, ` +
    `${(report.durationMs ?? 0) / 1000} s (${report.node}; ${report.network})`,
);
process.exit(bad.length > 0 ? 1 : 0);
