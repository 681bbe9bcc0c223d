import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the bench processes run: our sources, the bench itself and the fixture helpers. */
const ROOTS = ['src', 'machines', 'bench', 'test/fixtures'];

/**
 * Compiles the TypeScript the bench needs to plain ESM, the way `tsc` emits it for the published
 * package (same compiler, same target), into a temporary directory whose `node_modules` links to
 * the repository's. The sections run there with plain `node`, not under tsx: tsx transpiles with
 * esbuild's `keepNames`, which wraps every function and closure in a `__name()` call that defines
 * its `name` property each time the closure is created. That cost is not in the code users run, and
 * it would land on closure-heavy code (ours, and the bench's own per-call arrow for cockatiel) but
 * not on the peers, which are loaded as plain JavaScript from node_modules.
 */
export function compileForBench(): { dir: string; sectionEntry: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'azcore-bench-build-'));
  const config = ts.readConfigFile(join(REPO_ROOT, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  const compilerOptions: ts.CompilerOptions = {
    ...parsed.options,
    // ESM out, as tsc emits for this "type": "module" package (the emit itself needs no type information:
    // the project compiles with isolatedModules, so each file is emitted on its own, unchecked).
    module: ts.ModuleKind.ES2022,
    noEmit: false,
    noCheck: true,
    noResolve: true,
    noLib: true,
    types: [],
    sourceMap: false,
    declaration: false,
    declarationMap: false,
    rootDir: REPO_ROOT,
    outDir: dir,
  };
  const sources: string[] = [];
  for (const root of ROOTS) {
    for (const file of walk(join(REPO_ROOT, root))) {
      const rel = relative(REPO_ROOT, file);
      if (rel.endsWith('.test.ts') || rel.endsWith('.d.ts')) continue;
      if (rel.endsWith('.ts')) sources.push(file);
      else {
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        cpSync(file, join(dir, rel));
      }
    }
  }
  const emitted = ts.createProgram({ rootNames: sources, options: compilerOptions }).emit();
  if (emitted.emitSkipped) throw new Error('compiling the bench failed');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return {
    dir,
    sectionEntry: join(dir, 'bench', 'section.js'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}
