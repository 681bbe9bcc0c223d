// esbuild plugins of scripts/bundle.mjs, and what they need: xstate loaded by require, and the entries
// that load the SDK client anyway sharing azcore/connection's code in one chunk.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * CommonJS-only packages our code imports by name, loaded with `require` in the bundle. Node's ESM loader
 * imports a CommonJS package through its ESM wrapper: it parses the sources for their export names
 * (cjs-module-lexer) before running them, which for xstate cost about a third of its load in
 * azcore/connection's cold import. `require` gives the very module instance an application's
 * `import 'xstate'` gets (the wrapper re-exports the CommonJS build, checked by test/packaging/packedApp.test.ts).
 */
const REQUIRED_PACKAGES = ['xstate'];

/**
 * Each `import { a, b } from 'xstate'` (or `export { a } from 'xstate'`) of a module becomes a small
 * module of its own, made for that importer (so it lands in the importer's chunk, adding no file):
 * `a` and `b` taken from `createRequire(import.meta.url)('xstate')`, required on first use (see `binding`).
 */
export const requirePackages = {
  name: 'require-commonjs-packages',
  setup(b) {
    const filter = new RegExp(`^(${REQUIRED_PACKAGES.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.namespace === 'file'
        ? { path: args.importer, namespace: 'require-package', pluginData: args.path }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'require-package' }, (args) => {
      const name = args.pluginData;
      const names = importedNames(readFileSync(args.path, 'utf8'), name);
      if (names.length === 0) throw new Error(`bundle: no named import of ${name} read in ${args.path}`);
      return {
        contents: [
          "import { createRequire } from 'node:module';",
          'let commonjs;',
          `const load = () => (commonjs ??= createRequire(import.meta.url)(${JSON.stringify(name)}));`,
          ...names.map(binding),
        ].join('\n'),
        loader: 'js',
        resolveDir: dirname(args.path),
      };
    });
  },
};

/** Names our code only ever uses with `instanceof` (never `new`): checked against the package's class when asked. */
const INSTANCEOF_ONLY = new Set(['Actor']);

/**
 * How the bundle hands out one imported name. A function (lower-case name) is a forwarder that
 * requires the package at its first call, so importing azcore/connection runs no xstate code: it
 * loads when the first connection (or breaker) is made, and the machines are defined then too
 * (`connectionMachineOf`). A class used only with `instanceof` asks the package's class at the
 * first check. Any other name (a class an importer constructs, `SimulatedClock`) is read at import.
 */
function binding(n) {
  if (INSTANCEOF_ONLY.has(n))
    return `export const ${n} = { [Symbol.hasInstance]: (value) => value instanceof load().${n} };`;
  if (/^[a-z]/.test(n)) return `export const ${n} = (...args) => load().${n}(...args);`;
  return `export const ${n} = load().${n};`;
}

/** The value names `source` imports (or re-exports) from package `name`: `{ a, type B, c as d }` -> a, c. */
export function importedNames(source, name) {
  const quoted = `['"]${name.replace(/[/.]/g, '\\$&')}['"]`;
  const clauses = source.matchAll(
    new RegExp(`\\b(import|export)\\s+(type\\s+)?\\{([^}]*)\\}\\s*from\\s*${quoted}`, 'g'),
  );
  const names = new Set();
  for (const [, , typeOnly, list] of clauses) {
    if (typeOnly) continue;
    for (const part of list.split(',').map((p) => p.trim())) {
      if (part === '' || part.startsWith('type ')) continue;
      names.add(part.split(/\s+as\s+/)[0]);
    }
  }
  if (
    new RegExp(
      `\\b(import|export)\\s+\\*[^;]*from\\s*${quoted}|import\\s+[\\w$]+\\s*(,|from)[^;]*${quoted}`,
    ).test(source)
  ) {
    throw new Error(
      `bundle: only named imports of ${name} can be required: a namespace or default import was found`,
    );
  }
  return [...names];
}

/** The entry whose code every entry that already loads the SDK client shares in one chunk. */
export const CORE_ENTRY = 'src/connection/index.ts';

/** Output files reachable from `start` by static imports (what importing it loads), `start` included. */
function staticClosure(outputs, start) {
  const seen = new Set();
  const queue = [start];
  while (queue.length > 0) {
    const key = queue.pop();
    if (seen.has(key)) continue;
    seen.add(key);
    for (const i of outputs[key].imports)
      if (i.kind === 'import-statement' && !i.external) queue.push(i.path);
  }
  return seen;
}

/**
 * The sources of the entries (and dynamically imported modules) that load `@modelcontextprotocol/client`
 * when imported, other than CORE_ENTRY. esbuild puts each module in the chunk of the set of entries
 * reaching it, so the 14 entries and 6 dynamic imports cut azcore/connection's code into 18 files, each
 * a file the ESM loader resolves, reads, compiles and links. An entry that pays for the SDK client
 * anyway also reaches CORE_ENTRY (the `coreShared` plugin adds the import): then these modules share one
 * entry set and land in one chunk, and azcore/connection loads a handful of files. What those entries
 * pay for it: xstate and the connection code, loaded with the SDK client they load already.
 */
export function coreSharers(metafile) {
  const { outputs } = metafile;
  const sharers = [];
  for (const [key, out] of Object.entries(outputs)) {
    if (!out.entryPoint || out.entryPoint === CORE_ENTRY) continue;
    const loaded = staticClosure(outputs, key);
    const loadsClient = [...loaded].some((k) =>
      outputs[k].imports.some((i) => i.external && i.path === '@modelcontextprotocol/client'),
    );
    if (loadsClient) sharers.push(out.entryPoint);
  }
  return sharers;
}

/** Appends `import '<CORE_ENTRY>'` to each of `sharers` (paths relative to `root`, the repo). */
export function coreShared(root, sharers) {
  const files = new Set(sharers.map((s) => resolve(root, s)));
  const core = JSON.stringify(join(root, CORE_ENTRY));
  return {
    name: 'share-connection-core',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) =>
        files.has(args.path)
          ? { contents: `${readFileSync(args.path, 'utf8')}\nimport ${core};\n`, loader: 'ts' }
          : undefined,
      );
    },
  };
}
