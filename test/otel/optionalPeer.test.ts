import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const hooks = new URL('./recordResolutions.mjs', import.meta.url).href;
const scratch = mkdtempSync(join(tmpdir(), 'azcore-otel-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Imports `entry` in a fresh Node process (through tsx, as the sources are TypeScript) and lists the
 * modules it loaded from @opentelemetry: every ESM resolution (a module hook) and every CommonJS
 * module in the require cache.
 */
async function openTelemetryModulesLoadedBy(entry: string): Promise<string[]> {
  const log = join(scratch, `${entry.replace(/\W/g, '_')}.log`);
  const script = `
    import { register, createRequire } from 'node:module';
    import { readFileSync, writeFileSync } from 'node:fs';
    writeFileSync(${JSON.stringify(log)}, '');
    register(${JSON.stringify(hooks)}, { data: { log: ${JSON.stringify(log)} } });
    await import(${JSON.stringify(pathToFileURL(join(root, entry)).href)});
    const cjs = Object.keys(createRequire(${JSON.stringify(pathToFileURL(join(root, 'package.json')).href)}).cache);
    const esm = readFileSync(${JSON.stringify(log)}, 'utf8').split('\\n');
    console.log(JSON.stringify([...cjs, ...esm].filter((m) => m.includes('@opentelemetry'))));
    process.exit(0);
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root, timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

it('importing the package root loads nothing of OpenTelemetry (an optional peer)', async () => {
  const [rootModules, otelModules] = await Promise.all([
    openTelemetryModulesLoadedBy('src/index.ts'),
    openTelemetryModulesLoadedBy('src/otel/index.ts'),
  ]);
  expect(rootModules).toEqual([]);
  // The probe does see it when it is loaded: azcore/otel brings @opentelemetry/api.
  expect(otelModules.some((m) => m.includes('@opentelemetry/api'))).toBe(true);
}, 60_000);
