// Cold import (part of section 4): each entry imported once by a fresh `node`, rounds interleaved.
// Our entries are the package as published: `npm run build`'s esbuild bundle (scripts/bundle.mjs),
// made here from the sources into a scratch package named azcore, beside the bench's compiled files.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stdioFixture } from '../test/fixtures/index.js';
import type { BenchConfig } from './lib/config.js';
import { type Spread, summarize } from './lib/stats.js';

/** What is imported: our two entries (paths in the bundled package) and the package each is compared with. */
export const COLD_IMPORT_ENTRIES = {
  sdkClient: { label: "import('@modelcontextprotocol/client')", specifier: '@modelcontextprotocol/client' },
  connection: {
    label: "import('azcore/connection') (bundled dist/src/connection/index.js)",
    specifier: 'dist/src/connection/index.js',
  },
  adapters: { label: "import('@langchain/mcp-adapters')", specifier: '@langchain/mcp-adapters' },
  root: {
    label: "import('azcore') (bundled dist/src/index.js)",
    specifier: 'dist/src/index.js',
  },
} as const;

export type ColdImportEntry = keyof typeof COLD_IMPORT_ENTRIES;

export interface ColdImportResult {
  runs: number;
  /** Wall ms of the `import()` itself (from the first line of the script to its resolution), per entry. */
  wallMs: Record<ColdImportEntry, Spread>;
  /** CPU ms (user + system) of the same span: less sensitive to other processes than the wall time. */
  cpuMs: Record<ColdImportEntry, Spread>;
  /** Per-round ratios of wall times. */
  connectionToClient: Spread;
  rootToAdapters: Spread;
  /**
   * Import and first connection, by a fresh node per sample over the same stdio fixture server: what a
   * deferred load still costs at first connect. Reported, not a goal. Absent in results from before it.
   */
  firstConnection?: FirstConnectionResult;
}

export interface FirstConnectionResult {
  /** Wall ms from before the import to a ready connection: `azcore/connection`'s `ServerConnection.start()`, the SDK's `Client.connect`. */
  wallMs: { connection: Spread; sdkClient: Spread };
  /** Per-round ratio connection / sdkClient. */
  connectionToClient: Spread;
}

/** Labels of the first-connection rows. */
export const FIRST_CONNECTION_LABELS = {
  connection: "import('azcore/connection') + new ServerConnection(stdio).start() (defaults)",
  sdkClient:
    "import('@modelcontextprotocol/client') + '/stdio' + Client.connect(StdioClientTransport) (defaults)",
} as const;

/** Run by a fresh node per sample: the time of one dynamic import, nothing loaded before it. */
const SCRIPT = [
  'const cpu = process.cpuUsage(); const t0 = performance.now();',
  'await import(process.argv[1]);',
  'const wall = performance.now() - t0; const used = process.cpuUsage(cpu);',
  'process.stdout.write(JSON.stringify({ wall, cpu: (used.user + used.system) / 1000 }));',
].join('\n');

/** Run by a fresh node per sample: import, connect to the stdio server in argv[2], time to ready, close. */
const CONNECT_SCRIPTS = {
  connection: [
    'const t0 = performance.now();',
    'const { ServerConnection } = await import(process.argv[1]);',
    'const conn = new ServerConnection({ config: { name: "bench", transport: "stdio", ...JSON.parse(process.argv[2]) } });',
    'await conn.start();',
    'const wall = performance.now() - t0;',
    'await conn.close();',
    'process.stdout.write(JSON.stringify({ wall }));',
  ].join('\n'),
  sdkClient: [
    'const t0 = performance.now();',
    'const [{ Client }, { StdioClientTransport }] = await Promise.all([import(process.argv[1]), import(process.argv[1] + "/stdio")]);',
    'const client = new Client({ name: "bench", version: "1.0.0" });',
    'await client.connect(new StdioClientTransport(JSON.parse(process.argv[2])));',
    'const wall = performance.now() - t0;',
    'await client.close();',
    'process.stdout.write(JSON.stringify({ wall }));',
  ].join('\n'),
} as const;

function connectOnce(id: keyof typeof CONNECT_SCRIPTS, specifier: string, cwd: string): number {
  const server = JSON.stringify(stdioFixture());
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', CONNECT_SCRIPTS[id], specifier, server],
    { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
  );
  return (JSON.parse(out) as { wall: number }).wall;
}

function importOnce(specifier: string, cwd: string): { wall: number; cpu: number } {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT, specifier], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as { wall: number; cpu: number };
}

export async function coldImport(
  config: BenchConfig,
  log: (line: string) => void,
): Promise<ColdImportResult> {
  // The build directory: bare specifiers resolve through its node_modules link, as a user's would.
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const pkg = bundledPackage(cwd);
  const specifierOf = (id: ColdImportEntry): string => {
    const { specifier } = COLD_IMPORT_ENTRIES[id];
    return specifier.startsWith('dist/') ? pathToFileURL(join(pkg, specifier)).href : specifier;
  };
  const ids = Object.keys(COLD_IMPORT_ENTRIES) as ColdImportEntry[];
  const wall = Object.fromEntries(ids.map((id) => [id, [] as number[]])) as Record<ColdImportEntry, number[]>;
  const cpu = Object.fromEntries(ids.map((id) => [id, [] as number[]])) as Record<ColdImportEntry, number[]>;
  for (const id of ids) importOnce(specifierOf(id), cwd); // warm the file cache
  const runs = config.coldImportRuns;
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(i + r) % ids.length] as ColdImportEntry;
      const sample = importOnce(specifierOf(id), cwd);
      wall[id].push(sample.wall);
      cpu[id].push(sample.cpu);
    }
  }
  const firstConnection = firstConnections(runs, specifierOf('connection'), specifierOf('sdkClient'), cwd);
  const perRound = (a: ColdImportEntry, b: ColdImportEntry) =>
    summarize(wall[a].map((v, i) => v / (wall[b][i] ?? Number.NaN)));
  const result: ColdImportResult = {
    runs,
    wallMs: Object.fromEntries(ids.map((id) => [id, summarize(wall[id])])) as Record<ColdImportEntry, Spread>,
    cpuMs: Object.fromEntries(ids.map((id) => [id, summarize(cpu[id])])) as Record<ColdImportEntry, Spread>,
    connectionToClient: perRound('connection', 'sdkClient'),
    rootToAdapters: perRound('root', 'adapters'),
    firstConnection,
  };
  log(
    `  cold import: connection ${result.wallMs.connection.median.toFixed(0)} ms vs client ${result.wallMs.sdkClient.median.toFixed(0)} ms (${result.connectionToClient.median.toFixed(3)}x); root ${result.wallMs.root.median.toFixed(0)} ms vs mcp-adapters ${result.wallMs.adapters.median.toFixed(0)} ms (${result.rootToAdapters.median.toFixed(3)}x); import + first connection ${firstConnection.wallMs.connection.median.toFixed(0)} ms vs ${firstConnection.wallMs.sdkClient.median.toFixed(0)} ms (${firstConnection.connectionToClient.median.toFixed(3)}x)`,
  );
  return result;
}

/** Import + first connection ready, each by a fresh node, the two interleaved (after the import rounds). */
function firstConnections(
  runs: number,
  connection: string,
  sdkClient: string,
  cwd: string,
): FirstConnectionResult {
  const ids = ['connection', 'sdkClient'] as const;
  const specifier = { connection, sdkClient };
  const wall = { connection: [] as number[], sdkClient: [] as number[] };
  for (const id of ids) connectOnce(id, specifier[id], cwd); // warm the file cache and the server's
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(i + r) % ids.length]!;
      wall[id].push(connectOnce(id, specifier[id], cwd));
    }
  }
  return {
    wallMs: { connection: summarize(wall.connection), sdkClient: summarize(wall.sdkClient) },
    connectionToClient: summarize(wall.connection.map((v, i) => v / (wall.sdkClient[i] ?? Number.NaN))),
  };
}

/**
 * `<build>/azcore/`: the repo's package.json and the JS of `npm run build` (scripts/bundle.mjs, run
 * on the repo's sources in a child, so esbuild's service does not live on in this process), found
 * through the build directory's node_modules link to the repo's. The link is read one step, not to
 * its end: in a git worktree whose node_modules links to another checkout's, the end is that other
 * checkout (whose sources the bench would then have measured).
 */
function bundledPackage(build: string): string {
  const link = join(build, 'node_modules');
  const repo = dirname(resolve(build, readlinkSync(link)));
  const pkg = join(build, 'azcore');
  mkdirSync(pkg, { recursive: true });
  copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  execFileSync(process.execPath, [join(repo, 'scripts/bundle.mjs'), join(pkg, 'dist')], { stdio: 'ignore' });
  return pkg;
}
