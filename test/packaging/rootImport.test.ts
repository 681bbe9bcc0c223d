import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// What importing an entry of the package loads, seen from a fresh Node process.
//
// The child runs the TypeScript sources through tsx, not dist/: dist/ is gitignored, may be stale or
// absent, and `npm run build` (rm -rf dist, then tsc) can run in the same tree while this test runs;
// building here first would take 30-60 s. The module graph is the same either way: with
// verbatimModuleSyntax, tsc emits exactly the value imports the sources write (type-only imports are
// erased by both), and tsx's own modules are not on the list checked below. That plain Node resolves
// the built exports map is test/package/pack.test.ts's job (it runs on dist/ after npm run build).

const root = fileURLToPath(new URL('../..', import.meta.url));
const hooks = new URL('./recordModules.mjs', import.meta.url).href;
const scratch = mkdtempSync(join(tmpdir(), 'azcore-root-import-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runtime names the root exports (values, not types). 351 names (148 values) before the cut. */
const ROOT_RUNTIME_NAMES_MAX = 50;

/**
 * Code that has no business in the root import: dashboard, inspector, OpenAI, SQLite, mermaid, and
 * LangChain (@langchain/core is an optional peer: a team's build and createChatModel() load it).
 */
const FORBIDDEN_IN_ROOT = [
  /\/node_modules\/@langchain\/core\//,
  /\/node_modules\/langsmith\//,
  /\/node_modules\/js-tiktoken\//,
  /\/src\/team\/langChainParts\.ts$/,
  /\/src\/llm\/(OfflineChatModel|RuleBasedChatModel)\.ts$/,
  /\/node_modules\/ws\//,
  /\/node_modules\/@statelyai\/inspect\//,
  /\/node_modules\/@langchain\/openai\//,
  /\/node_modules\/openai\//,
  /\/node_modules\/better-sqlite3\//,
  /^(node:)?sqlite$/,
  /\/node_modules\/mermaid\//,
  /\/node_modules\/uplot\//,
  /\/src\/dashboard\//,
  /\/src\/observe\/inspector\.ts$/,
  /\/src\/fallback\/SqliteCacheStore\.ts$/,
];

/**
 * Loaded on use, not by the root or azcore/connection: rxjs (required module by module when a stream is
 * first read: src/events/rxjsOnUse.ts) and the OAuth code (loaded when a connection with `oauth` is created).
 */
const LOADED_ON_USE = [
  /\/node_modules\/rxjs\//,
  /\/src\/auth\/(Credential|OAuthProvider|ConnectionAuth|FileTokenStore|loopbackRedirect)\.ts$/,
];

interface Loaded {
  /** Every module resolved: ESM URLs, CommonJS filenames and builtins (as `node:x` or `x`). */
  modules: string[];
  /** Object.keys of the entry's namespace. */
  exports: string[];
  /** What the `then` code put in `globalThis.probe`, if anything. */
  probe?: unknown;
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
};

/** `./dist/src/cache/index.js` -> `src/cache/index.ts` (the source the built file comes from). */
function sourceOf(subpath: string): string {
  const target = pkg.exports[subpath];
  if (typeof target !== 'object') throw new Error(`no conditional export for ${subpath}`);
  return target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
}

/** Imports `entry` in a fresh Node process, then runs `then` (code using the namespace `m`), and lists what loaded. */
async function load(entry: string, then = ''): Promise<Loaded> {
  const log = join(scratch, `${entry.replace(/\W/g, '_')}${then ? '_then' : ''}.log`);
  const script = `
    import Module, { register } from 'node:module';
    import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
    writeFileSync(${JSON.stringify(log)}, '');
    register(${JSON.stringify(hooks)}, { data: { log: ${JSON.stringify(log)} } });
    // require() (of CommonJS packages, and createRequire in our lazy loaders) bypasses the hooks on Node 20.
    const resolveFilename = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      const resolved = resolveFilename.call(this, request, ...rest);
      appendFileSync(${JSON.stringify(log)}, resolved + '\\n');
      return resolved;
    };
    const m = await import(${JSON.stringify(pathToFileURL(join(root, entry)).href)});
    ${then}
    const modules = readFileSync(${JSON.stringify(log)}, 'utf8').split('\\n').filter(Boolean);
    // A builtin loaded any other way still shows here (e.g. 'NativeModule sqlite').
    for (const m of process.moduleLoadList) if (m.startsWith('NativeModule ')) modules.push(m.slice(13));
    // Exit once the line is written: a pipe that a busy parent drains slowly takes it in parts, and
    // process.exit() right after console.log drops the rest (seen on Node 24 under load).
    process.stdout.write(JSON.stringify({ modules, exports: Object.keys(m), probe: globalThis.probe }) + '\\n', () => process.exit(0));
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root, timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Loaded;
}

const forbidden = (modules: string[]) => modules.filter((m) => FORBIDDEN_IN_ROOT.some((re) => re.test(m)));
const onUse = (modules: string[]) => modules.filter((m) => LOADED_ON_USE.some((re) => re.test(m)));

/** Builds and closes a team without servers through the root: what loads LangChain. */
const BUILD_A_TEAM =
  "await (await new m.MCPTeamBuilder('probe').withLlm(m.createChatModel()).build()).cleanup();";

describe('the root import', () => {
  it(`loads no dashboard, inspector, OpenAI, SQLite, mermaid or LangChain code, and exports at most ${ROOT_RUNTIME_NAMES_MAX} runtime names`, async () => {
    const [rootImport, inspector, team] = await Promise.all([
      load(sourceOf('.')),
      load(sourceOf('./inspector'), 'await (await m.createLocalInspector()).stop();'),
      load(sourceOf('.'), BUILD_A_TEAM),
    ]);
    expect(forbidden(rootImport.modules)).toEqual([]);
    expect(onUse(rootImport.modules)).toEqual([]);
    expect(rootImport.exports.length).toBeLessThanOrEqual(ROOT_RUNTIME_NAMES_MAX);
    // The probe does see these modules when they load (here: when an inspector starts).
    expect(inspector.modules.some((m) => m.includes('/node_modules/ws/'))).toBe(true);
    expect(inspector.modules.some((m) => m.includes('/node_modules/@statelyai/inspect/'))).toBe(true);
    // ... and LangChain when a team is built (the root's team code loads it with import()).
    expect(team.modules.some((m) => m.includes('/node_modules/@langchain/core/'))).toBe(true);
    expect(team.modules.some((m) => m.endsWith('/src/team/langChainParts.ts'))).toBe(true);
  }, 120_000);

  it('azcore/inspector loads ws and @statelyai/inspect only when a relay or inspector starts', async () => {
    const inspector = await load(sourceOf('./inspector'));
    expect(inspector.modules.filter((m) => /\/node_modules\/(ws|@statelyai\/inspect)\//.test(m))).toEqual([]);
    expect(inspector.exports).toContain('createInspectionStream');
  }, 120_000);

  it('the probe sees what the root leaves out: azcore/auth loads the OAuth code, rxjs its modules', async () => {
    const auth = await load(sourceOf('./auth'), "await import('rxjs');");
    for (const re of LOADED_ON_USE) expect(auth.modules.some((m) => re.test(m))).toBe(true);
  }, 120_000);

  it('azcore/connection loads no LangChain (a connection-only user pays for the SDK client and our core)', async () => {
    const connection = await load(sourceOf('./connection'));
    expect(connection.modules.filter((m) => /\/node_modules\/(@langchain|langsmith)\//.test(m))).toEqual([]);
    expect(forbidden(connection.modules)).toEqual([]);
    expect(onUse(connection.modules)).toEqual([]);
    expect(connection.exports).toContain('ServerConnection');
  }, 120_000);

  it('azcore/connection loads rxjs when a stream is first read, the same rxjs an application imports', async () => {
    // A connection built, its breaker driven and the connection closed, with nobody reading a stream:
    // no rxjs. Emitting on a bus nobody reads needs none either.
    const unread = await load(
      sourceOf('./connection'),
      `const bus = new m.EventBus();
       bus.emit({ type: 'server.stderr', at: 0, source: 'server:s', server: 's', line: 'x' });
       const conn = new m.ServerConnection({ config: { name: 's', transport: 'stdio', command: 'node' }, bus });
       conn.breaker.isolate();
       await conn.close();
       globalThis.probe = [conn.state, conn.breaker.state];`,
    );
    expect(unread.modules.filter((m) => m.includes('/node_modules/rxjs/'))).toEqual([]);
    expect(unread.probe).toEqual(['closed', 'isolated']);
    const read = await load(
      sourceOf('./connection'),
      `const rxjs = await import('rxjs');
       const bus = new m.EventBus();
       const conn = new m.ServerConnection({ config: { name: 's', transport: 'stdio', command: 'node' }, bus });
       const events = [];
       const states = [];
       bus.events$.pipe(rxjs.filter((e) => e.type === 'breaker.transition')).subscribe((e) => events.push(e.to));
       conn.breaker.state$.subscribe((s) => states.push(s));
       conn.breaker.isolate();
       await conn.close();
       globalThis.probe = {
         events,
         states,
         instances: [conn.events$, conn.state$, conn.breaker.state$, bus.events$].map((o) => o instanceof rxjs.Observable),
       };`,
    );
    expect(read.modules.some((m) => m.endsWith('/node_modules/rxjs/dist/cjs/internal/Subject.js'))).toBe(
      true,
    );
    expect(read.probe).toEqual({
      events: ['isolated'],
      // The current state on subscribing, the change, then complete (the breaker stops with the connection).
      states: ['closed', 'isolated'],
      instances: [true, true, true, true],
    });
  }, 120_000);
});

/**
 * The README's "What is in the root, what is behind subpaths" table: for each row, the names in
 * backticks that look like exports (capitalised or camelCase identifiers, not packages or `isX`).
 */
function documentedNames(): Map<string, string[]> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split('## What is in the root, what is behind subpaths')[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const specifier = /^`(azcore(?:\/[a-z]+)?)`$/.exec(cells[1] ?? '')?.[1];
    if (!specifier) continue;
    const names = [...(cells[2] ?? '').matchAll(/`([A-Za-z][A-Za-z0-9]*)(?:\(\))?`/g)]
      .map((m) => m[1]!)
      .filter((n) => n !== 'isX' && !/^(ioredis|ws)$/.test(n));
    rows.set(specifier, names);
  }
  return rows;
}

describe('every subpath entry', () => {
  const rows = documentedNames();
  const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json');

  it('is listed in the README table', () => {
    const specifiers = subpaths.map((s) => (s === '.' ? 'azcore' : `azcore/${s.slice(2)}`));
    expect([...rows.keys()].sort()).toEqual(specifiers.sort());
  });

  it.each(subpaths)(
    '%s exports what the README says it does',
    async (subpath) => {
      const specifier = subpath === '.' ? 'azcore' : `azcore/${subpath.slice(2)}`;
      const entry = (await import(pathToFileURL(join(root, sourceOf(subpath))).href)) as Record<
        string,
        unknown
      >;
      const names = Object.keys(entry);
      expect(names.length, specifier).toBeGreaterThan(0);
      const documented = rows.get(specifier) ?? [];
      // A documented type (RuntimeEvent) is not a runtime name: it must be exported by the entry's source.
      const source = readFileSync(join(root, sourceOf(subpath)), 'utf8');
      const missing = documented.filter(
        (n) => !(n in entry) && !new RegExp(`\\btype ${n}\\b|^  ${n},$`, 'm').test(source),
      );
      expect(missing, `${specifier}: documented, not exported`).toEqual([]);
    },
    60_000,
  );
});
