// Build step (npm run build, after tsc has written the .d.ts files): bundles the JavaScript of every
// `exports` entry and of the CLI bin with esbuild, ESM with code splitting, into dist/. Why: Node's ESM
// loader pays for every module (resolve, stat, read, compile, link), and azcore/connection was 54 files
// of ours (cold import 1.6x the SDK client's; bundled, 6 files). With splitting, every module lands in exactly one output file (an entry,
// or a shared chunk under dist/src/chunks/), so each class exists once and `instanceof` holds across
// subpaths; dynamic `import()`s stay separate chunks, loaded on use. Packages (dependencies, peers) stay
// external: they are imported from node_modules as before (xstate by require: bundlePlugins.mjs).
//
// Usage: node scripts/bundle.mjs [outdir]   (default: the repo's dist/; bench/ and test/packaging build
// into a temporary one). Writes the entries at the paths package.json names (dist/src/index.js, ...),
// the dashboard page next to the module that serves it, and makes the bin executable.
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { coreShared, coreSharers, requirePackages } from './bundlePlugins.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** `./dist/src/connection/index.js` -> `src/connection/index.ts`. */
const sourceOf = (target) => target.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');

/** The entry sources: every conditional export's `default` and every bin. */
export function entryPoints() {
  const targets = [
    ...Object.values(pkg.exports)
      .filter((t) => typeof t === 'object')
      .map((t) => t.default),
    ...Object.values(pkg.bin ?? {}),
  ];
  return [...new Set(targets)].map(sourceOf);
}

/** The text of every TypeScript source of ours (src/, machines/), for the name checks below. */
function sourceText() {
  const parts = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
        parts.push(readFileSync(path, 'utf8'));
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'machines'));
  return parts.join('\n');
}

/**
 * A bundle turns each top-level `class X {}` into `var X = class {}`, and into `var X = class _X {}`
 * when the body names its own class: then `X.name` is '_X'. AzcoreError's `name` and LangChain's
 * lc_name read the constructor's name, so the inner name goes back to `X` (the same binding: inside the
 * body both names are the class itself). `_X` must name nothing else in our sources.
 */
function restoreInnerClassNames(outputs, sources) {
  for (const file of outputs) {
    if (!file.endsWith('.js')) continue;
    let code = readFileSync(file, 'utf8');
    const inner = [...code.matchAll(/\bvar ([A-Za-z_$][\w$]*) = class _\1\b/g)].map((m) => m[1]);
    for (const name of inner) {
      if (identifier(`_${name}`).test(sources)) {
        throw new Error(`bundle: cannot restore the name of class ${name}: _${name} is used in src/`);
      }
      code = code.replace(identifier(`_${name}`, 'g'), name);
    }
    if (inner.length > 0) writeFileSync(file, code);
  }
}

/** A RegExp matching the identifier `name` on its own (not inside a longer one). */
const identifier = (name, flags) => new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`, flags);

/**
 * esbuild also renames a top-level name that two bundled modules both declare (`TimeoutError2`):
 * for a class that changes `.name` too. Every class name in the output must be one the sources
 * declare; else the build fails (rename one of the two classes in src/).
 */
function checkClassNames(outputs, sources) {
  const declared = new Set([...sources.matchAll(/\bclass\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]));
  const renamed = [];
  for (const file of outputs) {
    if (!file.endsWith('.js')) continue;
    const code = readFileSync(file, 'utf8');
    const names = [
      ...[...code.matchAll(/\bclass\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]).filter((n) => n !== 'extends'),
      ...[...code.matchAll(/\b(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*class\b/g)].map((m) => m[1]),
    ];
    for (const name of names) if (!declared.has(name)) renamed.push(`${relative(root, file)}: class ${name}`);
  }
  if (renamed.length > 0) {
    throw new Error(
      `bundle: esbuild renamed classes (a top-level name declared twice?):\n  ${renamed.join('\n  ')}`,
    );
  }
}

/** Copies the dashboard page (and its vendored browser libraries) next to the output holding assets.ts. */
function copyDashboardPage(metafile, vendorFiles) {
  const assets = 'src/dashboard/assets.ts';
  const holder = Object.entries(metafile.outputs).find(([, o]) => assets in o.inputs)?.[0];
  if (!holder) throw new Error(`bundle: no output holds ${assets}`);
  const page = join(dirname(resolve(root, holder)), 'page');
  cpSync(join(root, 'src/dashboard/page'), page, { recursive: true });
  // The page's browser libraries, from node_modules (devDependencies: the package ships the files,
  // not a dependency on mermaid, about 150 MB installed). The list is the one the server serves.
  const require = createRequire(join(root, 'package.json'));
  mkdirSync(join(page, 'vendor'), { recursive: true });
  for (const { file, from } of vendorFiles) cpSync(require.resolve(from), join(page, 'vendor', file));
  return relative(root, page);
}

/** The dashboard's VENDOR_FILES, read from its source (bundled on its own into a scratch file). */
async function vendorFiles() {
  const scratch = mkdtempSync(join(tmpdir(), 'azcore-bundle-'));
  try {
    const outfile = join(scratch, 'assets.mjs');
    await build({
      entryPoints: [join(root, 'src/dashboard/assets.ts')],
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'warning',
    });
    return (await import(pathToFileURL(outfile).href)).VENDOR_FILES;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function bundle(outdir = join(root, 'dist')) {
  const started = performance.now();
  const options = {
    absWorkingDir: root,
    entryPoints: entryPoints(),
    outbase: root,
    outdir,
    entryNames: '[dir]/[name]',
    // Under dist/src/: package.json's "files" ships dist/src and dist/machines.
    chunkNames: 'src/chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // Every bare specifier (dependencies, optional peers, node: builtins) stays an import.
    packages: 'external',
    // src/version.ts's VERSION, written in: reading package.json at import costs about 1.5 ms.
    define: { __AZCORE_VERSION__: JSON.stringify(pkg.version) },
    plugins: [requirePackages],
    // Not minified (stack traces stay readable, as with tsc's output); no comments kept.
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  };
  // First the graph as the sources write it (nothing written), then the build with the shared core.
  const graph = await build({ ...options, write: false });
  const sharers = coreSharers(graph.metafile);
  const result = await build({ ...options, plugins: [...options.plugins, coreShared(root, sharers)] });
  const outputs = Object.keys(result.metafile.outputs).map((f) => resolve(root, f));
  const sources = sourceText();
  restoreInnerClassNames(outputs, sources);
  checkClassNames(outputs, sources);
  const page = copyDashboardPage(result.metafile, await vendorFiles());
  for (const bin of Object.values(pkg.bin ?? {})) {
    const file = join(outdir, bin.replace(/^\.\/dist\//, ''));
    if (!existsSync(file)) throw new Error(`bundle: the bin ${bin} was not written`);
    chmodSync(file, 0o755);
  }
  const js = outputs.filter((f) => f.endsWith('.js'));
  const chunks = js.filter((f) => f.includes('/chunks/')).length;
  console.log(
    `bundle: ${js.length - chunks} entries + ${chunks} chunks -> ${relative(root, outdir) || '.'} (dashboard page: ${page}) in ${(performance.now() - started).toFixed(0)} ms`,
  );
  return result.metafile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle(process.argv[2] ? resolve(process.argv[2]) : undefined);
}
