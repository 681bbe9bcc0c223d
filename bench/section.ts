// Child-process entry: `node <build>/bench/section.js <name> <out.json>` runs one section (see run.ts).
import { writeFileSync } from 'node:fs';
import { benchConfig } from './lib/config.js';

type SectionRunner = (
  config: ReturnType<typeof benchConfig>,
  log: (line: string) => void,
) => Promise<unknown>;

const SECTIONS: Record<string, () => Promise<{ run: SectionRunner }>> = {
  overhead: () => import('./overhead.js'),
  failFast: () => import('./failFast.js'),
  allocation: () => import('./allocation.js'),
  recovery: () => import('./recovery.js'),
  startup: () => import('./startup.js'),
  scale: () => import('./scale.js'),
  fleet: () => import('./fleet.js'),
  teamTurn: () => import('./teamTurn.js'),
};

const [name, out] = process.argv.slice(2);
const load = name ? SECTIONS[name] : undefined;
if (!load || !out) {
  process.stderr.write(`usage: section.js <${Object.keys(SECTIONS).join('|')}> <out.json>\n`);
  process.exit(2);
}
const log = (line: string): void => {
  process.stderr.write(`[${name}] ${line}\n`);
};
try {
  const { run } = await load();
  const result = await run(benchConfig(), log);
  writeFileSync(out, JSON.stringify(result));
  // Fixture children, SDK timers and intervals of peers must not keep a finished section alive.
  process.exit(0);
} catch (e) {
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
}
