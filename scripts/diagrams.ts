/**
 * `npm run docs:diagrams`: draws every statechart in machines/*.machine.ts as a Mermaid
 * stateDiagram-v2 under docs/diagrams/, from the machine definitions themselves (state nodes walked
 * by toMermaidStateDiagram), plus an index page that GitHub renders.
 *
 *   npm run docs:diagrams             write the files
 *   npm run docs:diagrams -- --check  exit 1 and name the stale files instead of writing
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { toMermaidStateDiagram } from '../src/dashboard/stateDiagram.js';

const root = fileURLToPath(new URL('../', import.meta.url));
export const MACHINES_DIR = join(root, 'machines');
export const DIAGRAMS_DIR = join(root, 'docs', 'diagrams');

/** One generated file: path relative to docs/diagrams and its full text. */
export interface DiagramFile {
  file: string;
  text: string;
}

/**
 * The machines a module exports, by export name: machine values, and machines defined on first use
 * (`connectionMachineOf()`, named here as `azcore/machines` exports them: `connectionMachine`).
 */
export function machineExports(mod: Record<string, unknown>): [string, AnyStateMachine][] {
  const found: [string, AnyStateMachine][] = [];
  for (const [name, value] of Object.entries(mod)) {
    if (isMachine(value)) found.push([name, value]);
    else if (typeof value === 'function' && /MachineOf$/.test(name)) {
      const machine: unknown = value();
      if (isMachine(machine)) found.push([name.slice(0, -'Of'.length), machine]);
    }
  }
  return found;
}

function isMachine(value: unknown): value is AnyStateMachine {
  return (
    typeof value === 'object' &&
    value !== null &&
    'root' in value &&
    'config' in value &&
    typeof (value as { transition?: unknown }).transition === 'function'
  );
}

/** Every machine exported by every `*.machine.ts` in `dir`, drawn; plus the README index. */
export async function renderDiagrams(dir = MACHINES_DIR): Promise<DiagramFile[]> {
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith('.machine.ts'))
    .sort();
  const files: DiagramFile[] = [];
  const index: string[] = [
    '# State diagrams',
    '',
    'Generated from the statecharts in `machines/` by `npm run docs:diagrams`; do not edit by hand.',
    'A test fails when these files are out of date.',
    '',
  ];
  for (const source of sources) {
    const mod = (await import(pathToFileURL(join(dir, source)).href)) as Record<string, unknown>;
    const machines = machineExports(mod);
    const base = basename(source, '.machine.ts');
    for (const [exportName, machine] of machines) {
      const name = machines.length === 1 ? base : `${base}.${exportName}`;
      const text = toMermaidStateDiagram(machine, {
        comment: `Generated from machines/${source} (${exportName}) by npm run docs:diagrams. Do not edit.`,
      });
      files.push({ file: `${name}.mmd`, text });
      index.push(
        `## ${name}`,
        '',
        `\`${exportName}\` from [machines/${source}](../../machines/${source})`,
        '',
      );
      index.push('```mermaid', text.trimEnd(), '```', '');
    }
  }
  files.push({ file: 'README.md', text: `${index.join('\n').trimEnd()}\n` });
  return files;
}

/** Generated files whose committed copy is missing or differs. */
export function staleDiagrams(files: readonly DiagramFile[], dir = DIAGRAMS_DIR): string[] {
  return files
    .filter(({ file, text }) => {
      try {
        return readFileSync(join(dir, file), 'utf8') !== text;
      } catch {
        return true;
      }
    })
    .map(({ file }) => file);
}

async function main(): Promise<void> {
  const files = await renderDiagrams();
  if (process.argv.includes('--check')) {
    const stale = staleDiagrams(files);
    if (stale.length > 0) {
      console.error(`Out of date in docs/diagrams: ${stale.join(', ')}. Run: npm run docs:diagrams`);
      process.exit(1);
    }
    console.log(`docs/diagrams is up to date (${files.length} files).`);
    return;
  }
  mkdirSync(DIAGRAMS_DIR, { recursive: true });
  for (const { file, text } of files) writeFileSync(join(DIAGRAMS_DIR, file), text);
  console.log(`Wrote ${files.map((f) => `docs/diagrams/${f.file}`).join(', ')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
