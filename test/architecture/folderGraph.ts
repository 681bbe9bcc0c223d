import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// The folder-level import graph of src/, read with a regex (no compiler): every `import`/`export ...
// from`, side-effect `import '...'` and dynamic `import('...')` of a relative path. Type-only
// imports count too: a type that comes from a folder still ties the two folders together.

/** One import of one file: where it is and what it names. */
export interface ImportSite {
  file: string;
  line: number;
  specifier: string;
}

/** Folder graph: node -> node -> the import sites behind that edge. */
export type FolderGraph = Map<string, Map<string, ImportSite[]>>;

// Statements start a line (so a `* import { x } from '...'` in a doc comment is not one).
const IMPORT =
  /^[ \t]*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"\n]+)['"]|\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/gm;

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

/** The node a file belongs to: its first folder under `root`, or the file itself for files at the root. */
export function nodeOf(root: string, file: string): string {
  const parts = relative(root, file).split(sep);
  return parts.length > 1 ? `${parts[0]}/` : (parts[0] ?? '');
}

/** Every relative import under `root` that leaves its folder, grouped by folder. */
export function folderGraph(root: string): FolderGraph {
  const graph: FolderGraph = new Map();
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? '';
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(root + sep)) continue;
      const from = nodeOf(root, file);
      // An import's target file: `./x.js` names x.ts.
      const to = nodeOf(root, target.replace(/\.js$/, '.ts'));
      if (from === to) continue;
      const line = text.slice(0, match.index).split('\n').length;
      const edges = graph.get(from) ?? new Map<string, ImportSite[]>();
      graph.set(from, edges);
      const sites = edges.get(to) ?? [];
      edges.set(to, sites);
      sites.push({ file: relative(dirname(root), file), line, specifier });
    }
  }
  return graph;
}

/** Strongly connected components with more than one node (Tarjan): the folders tied by a cycle. */
export function cycles(graph: FolderGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  const nodes = new Set([...graph.keys(), ...[...graph.values()].flatMap((e) => [...e.keys()])]);
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** Edges whose two ends lie in one cycle, as `from -> to`, sorted. */
export function edgesInCycles(graph: FolderGraph): string[] {
  const edges: string[] = [];
  for (const component of cycles(graph)) {
    const inside = new Set(component);
    for (const from of component) {
      for (const to of graph.get(from)?.keys() ?? []) if (inside.has(to)) edges.push(`${from} -> ${to}`);
    }
  }
  return edges.sort();
}

/** A shortest path of folders from `from` to `to` (breadth first), or undefined. */
function pathBetween(graph: FolderGraph, from: string, to: string): string[] | undefined {
  const previous = new Map<string, string>();
  const queue = [from];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const v = queue.shift() as string;
    if (v === to) {
      const path = [to];
      let at = to;
      while (at !== from) {
        at = previous.get(at) as string;
        path.unshift(at);
      }
      return path;
    }
    for (const w of graph.get(v)?.keys() ?? []) {
      if (seen.has(w)) continue;
      seen.add(w);
      previous.set(w, v);
      queue.push(w);
    }
  }
  return undefined;
}

/** The cycle an edge closes, each step with its first import site, e.g. for a failure message. */
export function describeCycle(graph: FolderGraph, edge: string): string {
  const [from = '', to = ''] = edge.split(' -> ');
  const back = pathBetween(graph, to, from) ?? [to];
  const path = [from, ...back];
  const steps = path.slice(1).map((node, i) => {
    const site = graph.get(path[i] ?? '')?.get(node)?.[0];
    return `  ${path[i]} -> ${node}${site ? `   (${site.file}:${site.line} imports '${site.specifier}')` : ''}`;
  });
  return [`cycle through ${edge}:`, ...steps].join('\n');
}
