import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, describeCycle, edgesInCycles, folderGraph } from './folderGraph.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const src = join(repo, 'src');

/**
 * Folder edges that lie on an import circle: none. The last one (errors/events/observe/resilience,
 * closed by the redactor in observe/) ended when `redact.ts` moved to errors/. A new circle fails
 * the first test.
 */
const KNOWN: readonly string[] = [];

describe('no import circles between folders of src/ (DESIGN: team -> actors -> resilience/transports -> errors)', () => {
  const graph = folderGraph(src);
  const inCycles = edgesInCycles(graph);

  it('no folder edge closes a circle beyond the known list', () => {
    const added = inCycles.filter((edge) => !KNOWN.includes(edge));
    expect(added, added.map((edge) => describeCycle(graph, edge)).join('\n\n')).toEqual([]);
  });

  it('the known list is current: delete the entries of a circle once it is broken', () => {
    const gone = KNOWN.filter((edge) => !inCycles.includes(edge));
    expect(gone, `no longer on a circle: ${gone.join(', ')}`).toEqual([]);
  });

  it('resilience/ and observe/ do not import the folders above them', () => {
    for (const [from, above] of [
      ['resilience/', ['actors/', 'team/']],
      ['observe/', ['team/', 'actors/']],
      ['errors/', ['actors/', 'team/', 'resilience/']],
    ] as const) {
      const targets = [...(graph.get(from)?.keys() ?? [])];
      for (const folder of above) {
        const sites = graph.get(from)?.get(folder) ?? [];
        expect(targets, sites.map((s) => `${s.file}:${s.line} '${s.specifier}'`).join(', ')).not.toContain(
          folder,
        );
      }
    }
  });

  it('machines/ import nothing of ours but each other', () => {
    const dir = join(repo, 'machines');
    const outside = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [...readFileSync(join(dir, f), 'utf8').matchAll(/from\s+['"](\.[^'"]+)['"]/g)]
          .map((m) => m[1] ?? '')
          .filter((spec) => !spec.startsWith('./'))
          .map((spec) => `machines/${f} imports '${spec}'`),
      );
    expect(outside).toEqual([]);
  });
});

describe('the folder graph reader', () => {
  it('finds the circles of a small graph and prints the path that closes each', () => {
    const site = (file: string) => [{ file, line: 1, specifier: '../x.js' }];
    const graph = new Map([
      ['a/', new Map([['b/', site('src/a/one.ts')]])],
      ['b/', new Map([['c/', site('src/b/two.ts')]])],
      ['c/', new Map([['a/', site('src/c/three.ts')]])],
      ['d/', new Map([['a/', site('src/d/four.ts')]])],
    ]);
    expect(cycles(graph)).toEqual([['a/', 'b/', 'c/']]);
    expect(edgesInCycles(graph)).toEqual(['a/ -> b/', 'b/ -> c/', 'c/ -> a/']);
    expect(describeCycle(graph, 'c/ -> a/')).toBe(
      [
        'cycle through c/ -> a/:',
        "  c/ -> a/   (src/c/three.ts:1 imports '../x.js')",
        "  a/ -> b/   (src/a/one.ts:1 imports '../x.js')",
        "  b/ -> c/   (src/b/two.ts:1 imports '../x.js')",
      ].join('\n'),
    );
  });

  it('reads every import form, type-only and multi-line ones included, and skips doc comments', () => {
    const graph = folderGraph(join(repo, 'test', 'architecture', 'fixture'));
    const edges = [...(graph.get('a/')?.entries() ?? [])].map(([to, sites]) => [
      to,
      sites.map((s) => s.specifier).sort(),
    ]);
    expect(edges).toEqual([
      [
        'b/',
        [
          '../b/dynamic.js',
          '../b/multi.js',
          '../b/reexport.js',
          '../b/side.js',
          '../b/type.js',
          '../b/value.js',
        ],
      ],
    ]);
  });
});
