// A new app outside the repo, with azcore installed from the `npm pack` tarball (no network): its
// runtime dependencies are the repo's node_modules entries that package-lock.json does not mark as
// dev-only, linked next to it, so a devDependency the package forgets to declare (mermaid, say) is
// missing there as it would be in a user's app. The app runs as ESM and as CommonJS against a real
// stdio MCP server, serves the dashboard from the installed package (drawn in headless Chromium),
// and typechecks with tsc for both module kinds.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../dashboard/chromium.js';
import { stdioFixture } from '../fixtures/index.js';
import { runtimePackages } from './lockPackages.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  files: string[];
  bin: Record<string, string>;
  exports: Record<string, unknown>;
};
const TSC = join(root, 'node_modules/typescript/bin/tsc');

let work: string;
let app: string;
let packed: { filename: string; unpackedSize: number; entryCount: number };

/** Newest modification time of any file under `dir` (0 when absent). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** The first file named `name` under `dir` (recursive), else undefined. */
function findFile(dir: string, name: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const entry = readdirSync(dir, { withFileTypes: true, recursive: true }).find(
    (e) => e.isFile() && join(e.parentPath, e.name).endsWith(name),
  );
  return entry && join(entry.parentPath, entry.name);
}

/** dist/ was built (bundled, with the vendored page libraries) after the last change to what it is built from. */
function distIsFresh(): boolean {
  const marker = join(root, 'dist/src/index.js');
  if (!existsSync(marker) || !findFile(join(root, 'dist/src'), 'page/vendor/mermaid.min.js')) return false;
  const sources = Math.max(
    newest(join(root, 'src')),
    newest(join(root, 'machines')),
    statSync(join(root, 'scripts/bundle.mjs')).mtimeMs,
    statSync(join(root, 'package.json')).mtimeMs,
  );
  return sources <= statSync(marker).mtimeMs;
}

/**
 * The package folder `npm pack` reads: the repo's dist/ when `npm run build` made it from the
 * current sources (as `npm test` does), else a build of its own, the same steps as the build script,
 * into a temporary dist (the repo's dist/ is left alone: other test files read it).
 */
function stagePackage(stage: string): void {
  mkdirSync(stage, { recursive: true });
  copyFileSync(join(root, 'package.json'), join(stage, 'package.json'));
  for (const entry of pkg.files) {
    if (entry.startsWith('dist/')) continue;
    if (existsSync(join(root, entry))) cpSync(join(root, entry), join(stage, entry), { recursive: true });
  }
  const dist = join(stage, 'dist');
  if (distIsFresh()) {
    for (const entry of pkg.files.filter((f) => f.startsWith('dist/'))) {
      cpSync(join(root, entry), join(stage, entry), { recursive: true });
    }
  } else {
    // --noCheck: declarations only (npm run typecheck judges the types); then the JS bundle.
    execFileSync(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--noCheck', '--outDir', dist], {
      cwd: root,
    });
    execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs'), dist], { cwd: root });
  }
  chmodSync(join(stage, pkg.bin.azcore!), 0o755);
}

function link(name: string): void {
  const target = join(app, 'node_modules', name);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(join(root, 'node_modules', name), target, 'dir');
}

function run(file: string): Record<string, unknown> {
  const out = execFileSync(process.execPath, [file], {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, AZ_FIXTURE: JSON.stringify(stdioFixture()), AZ_LOADED: join(work, 'loaded.txt') },
    timeout: 30_000,
  });
  const last = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

function tsc(project: string): string {
  try {
    return execFileSync(process.execPath, [TSC, '-p', project], { cwd: app, encoding: 'utf8' });
  } catch (e) {
    const failure = e as { stdout?: string; stderr?: string };
    throw new Error(`tsc -p ${project} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

const ESM_APP = `import { createRequire } from 'node:module';
import { ServerConnection, MCPTeamBuilder, isAzcoreError } from 'azcore';
import { serveDashboard } from 'azcore/dashboard';
import { startInspectorServer } from 'azcore/inspector';
import { ScriptedChatModel } from 'azcore/testing';

const { command, args } = JSON.parse(process.env.AZ_FIXTURE);
const conn = new ServerConnection({ config: { name: 'fixture', transport: 'stdio', command, args } });
await conn.start();
const tools = (await conn.listTools()).map((t) => t.name);
const result = await conn.callTool('echo', { text: 'hello from esm' });
await conn.close();

// The dashboard, served by the installed package: its page libraries come from the tarball.
const team = await new MCPTeamBuilder('packed')
  .withLlm(new ScriptedChatModel([{ content: 'done' }]))
  .withMcpServer(command, args, { name: 'fixture' })
  .build();
const dashboard = await serveDashboard(team, { port: 0, healthIntervalMs: 60_000 });
const vendor = {};
for (const file of ['mermaid.min.js', 'uPlot.iife.min.js', 'uPlot.min.css']) {
  const res = await fetch(new URL('/vendor/' + file, dashboard.url));
  vendor[file] = { status: res.status, bytes: (await res.arrayBuffer()).byteLength };
}
const page = await (await fetch(dashboard.url)).text();
await dashboard.close();
await team.cleanup();

// ws and @statelyai/inspect are optional peers this app did not install.
let inspector;
try {
  await (await startInspectorServer()).close();
  inspector = 'started';
} catch (e) {
  inspector = { kind: e.kind, message: e.message, hint: e.hint };
}

let mermaidInstalled = true;
try {
  createRequire(import.meta.url).resolve('mermaid');
} catch {
  mermaidInstalled = false;
}
console.log(JSON.stringify({
  tools,
  text: result.content[0].text,
  typedErrors: typeof isAzcoreError === 'function',
  vendor,
  pageLoadsMermaid: page.includes('/vendor/mermaid.min.js'),
  mermaidInstalled,
  inspector,
}));
`;

// Serves the dashboard from the installed package until its stdin closes; prints the URL.
const DASHBOARD_APP = `import { MCPTeamBuilder } from 'azcore';
import { serveDashboard } from 'azcore/dashboard';
import { ScriptedChatModel } from 'azcore/testing';

const { command, args } = JSON.parse(process.env.AZ_FIXTURE);
const team = await new MCPTeamBuilder('packed')
  .withLlm(new ScriptedChatModel([{ content: 'done' }]))
  .withMcpServer(command, args, { name: 'fixture' })
  .build();
const dashboard = await serveDashboard(team, { port: 0, healthIntervalMs: 60_000 });
console.log(JSON.stringify({ url: dashboard.url.href }));
process.stdin.resume();
process.stdin.on('end', async () => {
  await dashboard.close();
  await team.cleanup();
});
`;

const CJS_APP = `const { ServerConnection, classifyError } = require('azcore');
const machines = require('azcore/machines');

async function main() {
  const { command, args } = JSON.parse(process.env.AZ_FIXTURE);
  const conn = new ServerConnection({ config: { name: 'fixture', transport: 'stdio', command, args } });
  await conn.start();
  const tools = (await conn.listTools()).map((t) => t.name);
  const result = await conn.callTool('add', { a: 2, b: 3 });
  await conn.close();
  console.log(JSON.stringify({
    tools,
    text: result.content[0].text,
    classifies: classifyError(new Error('x')).kind,
    machines: Object.keys(machines).length,
  }));
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
`;

// Every subpath, imported (ESM) or required (CJS): a name two subpaths export must be one value (the
// bundle keeps one copy of each class in a shared chunk, so instanceof holds across subpaths), and an
// exported class keeps its own name (AzcoreError.name reads it; a bundler may rename classes).
const SUBPATHS_BODY = `
const pkg = JSON.parse(readFileSync('node_modules/azcore/package.json', 'utf8'));
const seen = new Map();
const report = { loaded: [], failed: {}, shared: 0, differ: [], misnamed: [] };
for (const subpath of Object.keys(pkg.exports)) {
  if (subpath === './package.json') continue;
  const specifier = subpath === '.' ? 'azcore' : 'azcore/' + subpath.slice(2);
  let m;
  try {
    m = await load(specifier);
  } catch (e) {
    report.failed[specifier] = e.message;
    continue;
  }
  report.loaded.push(specifier);
  for (const [name, value] of Object.entries(m)) {
    if (typeof value === 'function' && /^class\\b/.test(Function.prototype.toString.call(value)) && value.name !== name)
      report.misnamed.push(specifier + ': ' + name + ' is named ' + value.name);
    const first = seen.get(name);
    if (!first) seen.set(name, { specifier, value });
    else if (first.value === value) report.shared++;
    else report.differ.push(name + ' in ' + first.specifier + ' and ' + specifier);
  }
}
`;
const SUBPATHS_ESM = `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const load = (s) => import(s);
${SUBPATHS_BODY}
const root = await import('azcore');
const required = createRequire(import.meta.url)('azcore');
report.requireIsImport = required.AzcoreError === root.AzcoreError && required.ServerConnection === root.ServerConnection;
const connection = await import('azcore/connection');
report.crossInstanceof = new connection.TimeoutError('t', { server: 's' }) instanceof root.AzcoreError;
console.log(JSON.stringify(report));
`;
const SUBPATHS_CJS = `const { readFileSync } = require('node:fs');
const load = async (s) => require(s);
(async () => {
${SUBPATHS_BODY}
console.log(JSON.stringify(report));
})();
`;

// What the root import loads from the package: the chunks reached only by a dynamic import (OAuth,
// the transports, the dashboard server) and pino and ajv wait until they are used; a connection's
// start loads the transports. Files come from the ESM loader's hooks; CommonJS ones from require.cache.
const LAZY_HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.AZ_LOADED, url + '\\n');
  return next(url, context);
}
`;
const LAZY_APP = `import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
writeFileSync(process.env.AZ_LOADED, '');
register('./lazyHooks.mjs', import.meta.url);
const loaded = () => [
  ...readFileSync(process.env.AZ_LOADED, 'utf8').split('\\n').filter(Boolean),
  ...Object.keys(createRequire(import.meta.url).cache),
];
const { ServerConnection } = await import('azcore');
const atImport = loaded();
const { command, args } = JSON.parse(process.env.AZ_FIXTURE);
const conn = new ServerConnection({ config: { name: 'fixture', transport: 'stdio', command, args } });
await conn.start();
await conn.close();
console.log(JSON.stringify({ atImport, afterStart: loaded() }));
`;

// What importing azcore/connection loads from the package, and how it loads xstate: by require, not
// through xstate's ESM wrapper (scripts/bundle.mjs), yet the very xstate an app's import of 'xstate' gets.
const CONNECTION_APP = `import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
writeFileSync(process.env.AZ_LOADED, '');
register('./lazyHooks.mjs', import.meta.url);
const esm = () => readFileSync(process.env.AZ_LOADED, 'utf8').split('\\n').filter(Boolean);
const required = () => Object.keys(createRequire(import.meta.url).cache);
const { ServerConnection } = await import('azcore/connection');
const atImport = { esm: esm(), required: required() };
const conn = new ServerConnection({ config: { name: 'lazy', transport: 'stdio', command: process.execPath, args: ['-e', ''] } });
const afterConnection = required();
await conn.close();
const xstate = await import('xstate');
const { connectionMachine, circuitBreakerMachine } = await import('azcore/machines');
console.log(JSON.stringify({
  atImport,
  afterConnection,
  sameXstate: connectionMachine instanceof xstate.StateMachine && circuitBreakerMachine instanceof xstate.StateMachine,
}));
`;

// The same calls, typed: the checks fail if the declarations turn into \`any\` or do not resolve.
const TYPED_BODY = `
type Fixture = { command: string; args: string[] };
export async function demo(fixture: Fixture): Promise<string[]> {
  const conn = new ServerConnection({ config: { name: 'fixture', transport: 'stdio', ...fixture } });
  await conn.start();
  const names: string[] = (await conn.listTools()).map((t) => t.name);
  // @ts-expect-error: a tool name is a string
  await conn.callTool(42);
  const kind: string = classifyError(new Error('x')).kind;
  await conn.close();
  return [...names, kind];
}
`;
const TS_ESM = `import { classifyError, ServerConnection } from 'azcore';
import { serveDashboard, type DashboardServer } from 'azcore/dashboard';
export type Served = DashboardServer;
export const serve: typeof serveDashboard = serveDashboard;
${TYPED_BODY}`;
const TS_CJS = `import { classifyError, ServerConnection } from 'azcore';
${TYPED_BODY}
module.exports = { demo };
`;

function tsconfig(module: 'nodenext' | 'node16', files: string[]): string {
  return JSON.stringify({
    compilerOptions: {
      module,
      moduleResolution: module,
      target: 'ES2022',
      strict: true,
      noEmit: true,
      types: ['node'],
      // Like most apps: the declarations azcore's own types reach are still read and resolved.
      skipLibCheck: true,
    },
    files,
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'azcore-packed-'));
  const stage = join(work, 'stage');
  stagePackage(stage);
  const tarballs = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
      cwd: stage,
      encoding: 'utf8',
    }),
  ) as (typeof packed)[];
  packed = tarballs[0]!;
  app = join(work, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', work]);
  renameSync(join(work, 'package'), join(app, 'node_modules/azcore'));
  for (const name of runtimePackages(root)) link(name);
  // A team app installs the optional peer @langchain/core (withoutLangChain.test.ts covers an app without it).
  if (!existsSync(join(app, 'node_modules/@langchain/core'))) link('@langchain/core');
  link('@types/node'); // the app's own devDependency, for tsc
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'packed-app', private: true }));
  writeFileSync(join(app, 'app.mjs'), ESM_APP);
  writeFileSync(join(app, 'app.cjs'), CJS_APP);
  writeFileSync(join(app, 'dashboard.mjs'), DASHBOARD_APP);
  writeFileSync(join(app, 'subpaths.mjs'), SUBPATHS_ESM);
  writeFileSync(join(app, 'subpaths.cjs'), SUBPATHS_CJS);
  writeFileSync(join(app, 'lazyHooks.mjs'), LAZY_HOOKS);
  writeFileSync(join(app, 'lazy.mjs'), LAZY_APP);
  writeFileSync(join(app, 'connection.mjs'), CONNECTION_APP);
  writeFileSync(join(app, 'app.mts'), TS_ESM);
  writeFileSync(join(app, 'app.cts'), TS_CJS);
  writeFileSync(join(app, 'tsconfig.nodenext.json'), tsconfig('nodenext', ['app.mts', 'app.cts']));
  writeFileSync(join(app, 'tsconfig.node16.json'), tsconfig('node16', ['app.mts']));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a new app with azcore installed from npm pack', () => {
  it('gets no mermaid or uplot (the dashboard page libraries are in the tarball), nor the optional peers', () => {
    expect(existsSync(join(app, 'node_modules/mermaid'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/ws'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/@statelyai/inspect'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/uplot'))).toBe(false);
    expect(findFile(join(app, 'node_modules/azcore/dist/src'), 'page/vendor/mermaid.min.js')).toBeDefined();
    expect(existsSync(join(app, 'node_modules/azcore/src'))).toBe(false);
  });

  it('runs as ESM: connects to a real stdio server, lists and calls a tool, serves the dashboard', () => {
    const out = run('app.mjs');
    expect(out.tools).toEqual(expect.arrayContaining(['echo', 'add']));
    expect(out.text).toBe('hello from esm');
    expect(out.typedErrors).toBe(true);
    expect(out.mermaidInstalled).toBe(false);
    expect(out.pageLoadsMermaid).toBe(true);
    const vendor = out.vendor as Record<string, { status: number; bytes: number }>;
    expect(vendor['mermaid.min.js']).toEqual({ status: 200, bytes: expect.any(Number) });
    expect(vendor['mermaid.min.js']!.bytes).toBeGreaterThan(1_000_000);
    expect(vendor['uPlot.iife.min.js']!.status).toBe(200);
    expect(vendor['uPlot.min.css']!.status).toBe(200);
    expect(out.inspector).toEqual({
      kind: 'configuration',
      message: expect.stringContaining("needs the package 'ws', which is not installed"),
      hint: expect.stringContaining('npm install ws @statelyai/inspect'),
    });
  });

  it('serves a dashboard page that draws its statecharts in Chromium with the prebuilt mermaid', async () => {
    const server = spawn(process.execPath, ['dashboard.mjs'], {
      cwd: app,
      env: { ...process.env, AZ_FIXTURE: JSON.stringify(stdioFixture()) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = once(server, 'exit');
    const browser = await launchChromium();
    try {
      const [line] = (await once(createInterface({ input: server.stdout }), 'line')) as [string];
      const { url } = JSON.parse(line) as { url: string };
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]');
      await page.waitForSelector(
        '[data-server="fixture"] figure.connection[data-rendered="ready"] g.node.current',
      );
      await page.waitForSelector(
        '[data-server="fixture"] figure.breaker[data-rendered="closed"] g.node.current',
      );
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      server.stdin.end();
      await exited;
    }
  }, 60_000);

  it('loads every subpath as ESM and as CommonJS, with one copy of each class across subpaths', () => {
    const esm = run('subpaths.mjs');
    const cjs = run('subpaths.cjs');
    const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json');
    for (const out of [esm, cjs]) {
      // The app lacks the optional peers: azcore/otel and azcore/fleet need theirs to load, as before
      // the bundle; every other subpath loads without ws, @statelyai/inspect or better-sqlite3.
      expect(out.failed).toEqual({
        'azcore/fleet': expect.stringContaining("Cannot find package 'ioredis'"),
        'azcore/otel': expect.stringContaining("Cannot find package '@opentelemetry/api'"),
      });
      expect(out.loaded).toHaveLength(subpaths.length - 2);
      expect(out.differ).toEqual([]);
      expect(out.shared).toBeGreaterThan(20);
      expect(out.misnamed).toEqual([]);
    }
    expect(esm.requireIsImport).toBe(true);
    expect(esm.crossInstanceof).toBe(true);
  });

  it('keeps OAuth, the transports, the dashboard server, pino and ajv out of the root import', () => {
    const out = run('lazy.mjs') as { atImport: string[]; afterStart: string[] };
    const ours = (files: string[]) => files.filter((f) => f.includes('/node_modules/azcore/'));
    const lazy = [
      /\/chunks\/ConnectionAuth-[\w-]+\.js$/,
      /\/chunks\/createTransport-[\w-]+\.js$/,
      /\/chunks\/serveDashboard-[\w-]+\.js$/,
      /\/node_modules\/pino\//,
      /\/node_modules\/ajv\//,
    ];
    expect(out.atImport.filter((f) => lazy.some((re) => re.test(f)))).toEqual([]);
    expect(ours(out.atImport).length).toBeGreaterThan(1);
    // The control: starting a stdio connection does load the transports' chunk.
    expect(out.afterStart.some((f) => lazy[1]!.test(f))).toBe(true);
  });

  it('azcore/connection loads a handful of files, and xstate by require at the first connection, the same xstate the app imports', () => {
    const out = run('connection.mjs') as {
      atImport: { esm: string[]; required: string[] };
      afterConnection: string[];
      sameXstate: boolean;
    };
    const ours = out.atImport.esm.filter((f) => f.includes('/node_modules/azcore/'));
    // 18 files before the entries that load the SDK client shared the connection's chunk.
    expect(ours.length).toBeLessThanOrEqual(8);
    // Not its ESM wrapper (on Node 20 the hooks see no require(); on later Nodes they may see xstate.cjs.js).
    expect(out.atImport.esm.filter((f) => /\/node_modules\/xstate\//.test(f))).toEqual([]);
    // No xstate at import: it is required when the first connection is made.
    const xstateCjs = (files: string[]) =>
      files.some((f) => f.endsWith('/node_modules/xstate/dist/xstate.cjs.js'));
    expect(xstateCjs(out.atImport.required)).toBe(false);
    expect(xstateCjs(out.afterConnection)).toBe(true);
    expect(out.sameXstate).toBe(true);
  });

  it('runs as CommonJS: require("azcore") and require("azcore/machines")', () => {
    const out = run('app.cjs');
    expect(out.tools).toEqual(expect.arrayContaining(['echo', 'add']));
    expect(out.text).toBe('5');
    expect(out.classifies).toEqual(expect.any(String));
    expect(out.machines).toBeGreaterThan(0);
  });

  it('typechecks ESM and CommonJS code under moduleResolution nodenext, and ESM under node16', () => {
    expect(tsc('tsconfig.nodenext.json')).toBe('');
    expect(tsc('tsconfig.node16.json')).toBe('');
  }, 120_000);
});
