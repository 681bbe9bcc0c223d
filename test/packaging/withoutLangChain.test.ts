// An app that installed azcore without @langchain/core (an optional peer since issue 14): the root and
// azcore/connection load and a connection works; what needs LangChain (a team's build,
// createChatModel()) fails with a ConfigurationError naming the package and the fix, not a raw
// ERR_MODULE_NOT_FOUND.
//
// The package is laid out as an install of the tarball would lay it out (package.json and dist/, run
// by plain Node through the exports map), its dependencies being the repo's node_modules entries that
// package-lock.json does not mark dev-only, linked (as test/packaging/packedApp.test.ts does): so
// @langchain/core is really absent, because the lock says an install does not bring it. dist/ is
// emitted here with esbuild, one file per source as tsc emits it (verbatimModuleSyntax: the same
// value imports), in about a second instead of the 30-60 s of a tsc build.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stdioFixture } from '../fixtures/index.js';
import { runtimePackages } from './lockPackages.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let work: string;
let app: string;

/** `src/` and `machines/` as JavaScript under `out` (dist/src, dist/machines). */
function emit(out: string): void {
  for (const folder of ['src', 'machines']) {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
      const file = join(entry.parentPath, entry.name);
      const { code } = transformSync(readFileSync(file, 'utf8'), {
        loader: 'ts',
        format: 'esm',
        target: 'es2022',
        tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
      });
      const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, code);
    }
  }
}

const ESM_APP = `import * as azcore from 'azcore';
import { ServerConnection } from 'azcore/connection';

const failure = (e) => ({
  name: e?.constructor?.name,
  kind: e?.kind,
  code: e?.code,
  message: e?.message,
  hint: e?.hint,
  typed: azcore.isConfigurationError(e),
});

// A connection-only app: a real stdio server, listed and called.
const { command, args } = JSON.parse(process.env.AZ_FIXTURE);
const conn = new ServerConnection({ config: { name: 'fixture', transport: 'stdio', command, args } });
await conn.start();
const echoed = (await conn.callTool('echo', { text: 'no langchain' })).content[0].text;
await conn.close();

const out = { echoed, rootNames: Object.keys(azcore).length };
try {
  await azcore.createChatModel();
  out.createChatModel = 'resolved';
} catch (e) {
  out.createChatModel = failure(e);
}
// A model of one's own (anything with bindTools passes the builder's checks): the build needs LangChain.
const model = { bindTools() { return this; } };
try {
  await new azcore.MCPTeamBuilder('no-langchain').withLlm(model).withMcpServer(command, args, { name: 'fixture' }).build();
  out.build = 'built';
} catch (e) {
  out.build = failure(e);
}
// createChatModel()'s rejection, handed to withLlm, is build()'s (and no unhandled rejection).
try {
  await new azcore.MCPTeamBuilder('offline').withLlm(azcore.createChatModel()).build();
  out.buildWithCreateChatModel = 'built';
} catch (e) {
  out.buildWithCreateChatModel = failure(e);
}
console.log(JSON.stringify(out));
`;

const CJS_APP = `const azcore = require('azcore');
const connection = require('azcore/connection');
console.log(JSON.stringify({ root: typeof azcore.MCPTeamBuilder, connection: typeof connection.ServerConnection }));
`;

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function run(file: string): Record<string, unknown> {
  const stdout = execFileSync(process.execPath, [file], {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, AZ_FIXTURE: JSON.stringify(stdioFixture()) },
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'azcore-no-langchain-'));
  app = join(work, 'app');
  const pkg = join(app, 'node_modules/azcore');
  mkdirSync(pkg, { recursive: true });
  copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
  emit(join(pkg, 'dist'));
  for (const name of runtimePackages(root)) {
    const target = join(app, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(root, 'node_modules', name), target, 'dir');
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'no-langchain-app', private: true }));
  writeFileSync(join(app, 'app.mjs'), ESM_APP);
  writeFileSync(join(app, 'app.cjs'), CJS_APP);
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('an app that installed azcore without @langchain/core', () => {
  it('does not get it: the lock marks @langchain/core, langsmith and js-tiktoken dev-only', () => {
    const installed = runtimePackages(root);
    expect(installed).not.toContain('@langchain/core');
    expect(installed).not.toContain('langsmith');
    expect(installed).not.toContain('js-tiktoken');
    expect(installed).toContain('@modelcontextprotocol/client');
  });

  it('imports the root and azcore/connection and talks to a real server; a team build and createChatModel() say what to install', () => {
    const out = run('app.mjs');
    expect(out.echoed).toBe('no langchain');
    expect(out.rootNames).toBeGreaterThan(20);
    const missing = (operation: string) => ({
      name: 'ConfigurationError',
      kind: 'configuration',
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(
        new RegExp(`^${literal(operation)} needs the package '@langchain/core', which is not installed\\.`),
      ),
      hint: expect.stringContaining('npm install @langchain/core'),
      typed: true,
    });
    expect(out.createChatModel).toEqual(missing('createChatModel()'));
    expect(out.build).toEqual(missing('Building team "no-langchain"'));
    expect(out.buildWithCreateChatModel).toEqual(missing('createChatModel()'));
  });

  it('the azcore bin (every command opens a team) says what to install and exits 78', () => {
    const bin = spawnSync(process.execPath, ['node_modules/azcore/dist/src/cli/main.js', '--version'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(bin.status).toBe(78);
    expect(bin.stderr).toMatch(
      /^azcore: The azcore CLI needs the package '@langchain\/core', which is not installed\..*npm install @langchain\/core/,
    );
  });

  it('requires the root and azcore/connection from CommonJS', () => {
    expect(run('app.cjs')).toEqual({ root: 'function', connection: 'function' });
  });
});
