import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/version.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('VERSION', () => {
  it('is the version in package.json', () => {
    expect(VERSION).toBe(pkg.version);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('is the version in package.json in the bundle too, where the bundler writes it in', async () => {
    const script = new URL('../scripts/bundle.mjs', import.meta.url).href; // plain JS: no types to check
    const { bundle } = (await import(script)) as {
      bundle: (outdir: string) => Promise<{ outputs: Record<string, { inputs: Record<string, unknown> }> }>;
    };
    const out = mkdtempSync(join(tmpdir(), 'azcore-version-'));
    const root = fileURLToPath(new URL('..', import.meta.url));
    // The chunk holding VERSION requires packages (xstate) with Node's own resolution: give it the repo's.
    symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
    try {
      const meta = await bundle(out);
      const holder = Object.entries(meta.outputs).find(([, o]) => 'src/version.ts' in o.inputs)?.[0];
      expect(holder).toBeDefined();
      const file = resolve(root, holder ?? '');
      // Written in: the bundled module reads no package.json (readVersion's paths are gone with it; the
      // chunk may hold other modules' createRequire).
      expect(readFileSync(file, 'utf8')).not.toContain('package.json');
      const built = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      expect(Object.values(built)).toContain(pkg.version);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
