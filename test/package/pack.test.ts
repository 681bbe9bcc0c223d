import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// These tests run against dist/ (npm test builds first): they check what a user installs.
const root = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  exports: Record<string, string | { default: string; types: string }>;
};

interface PackFile {
  path: string;
}

describe('npm package', () => {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }),
  ) as { files: PackFile[] }[];
  const files = packed[0]!.files.map((f) => f.path);

  it('ships the built JS and type declarations', () => {
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/machines/index.js');
    expect(files).toContain('README.md');
  });

  it('ships no tests, fixtures, sources or CI files', () => {
    const leaked = files.filter(
      (f) => /^(test|src|machines|examples|bench|\.ci)\//.test(f) || /\.test\./.test(f),
    );
    expect(leaked).toEqual([]);
  });

  it('resolves every export of the exports map in plain Node (no tsx)', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath === './package.json') continue;
      const specifier = subpath === '.' ? 'azcore' : `azcore/${subpath.slice(2)}`;
      const types = typeof target === 'string' ? undefined : target.types;
      if (types) expect(files).toContain(types.replace(/^\.\//, ''));
      const out = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import('${specifier}'); console.log(Object.keys(m).length);`,
        ],
        { cwd: root, encoding: 'utf8' },
      );
      expect(Number(out.trim())).toBeGreaterThan(0);
    }
  });

  it('loads with require() too (CommonJS apps on Node >= 20.19: the exports have a default condition)', () => {
    for (const subpath of Object.keys(pkg.exports)) {
      if (subpath === './package.json') continue;
      const specifier = subpath === '.' ? 'azcore' : `azcore/${subpath.slice(2)}`;
      const out = execFileSync(
        process.execPath,
        ['-e', `console.log(Object.keys(require('${specifier}')).length)`],
        { cwd: root, encoding: 'utf8' },
      );
      expect(Number(out.trim()), specifier).toBeGreaterThan(0);
    }
  });

  it('builds the CLI as an executable (npx azcore works after npm run build)', () => {
    const bin = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: Record<string, string> })
      .bin.azcore!;
    expect(statSync(`${root}${bin}`).mode & 0o111).not.toBe(0);
  });

  it('exposes the core API by name from the root entry', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('azcore'); console.log(JSON.stringify(['ServerConnection','CircuitBreaker','classifyError','Deadline','EventBus','ofType','createLogger','TimeoutError','CircuitOpenError','parseServerConfig'].filter((k) => typeof m[k] !== 'function')));",
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual([]);
  });

  it('leaks no `any` into the published type declarations', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.d.ts')) {
          const code = readFileSync(path, 'utf8')
            .replace(/\/\*[\s\S]*?\*\//g, '')
            .replace(/\/\/.*$/gm, '');
          if (/\bany\b/.test(code)) offenders.push(path.slice(root.length));
        }
      }
    };
    walk(join(root, 'dist'));
    expect(offenders).toEqual([]);
  });
});
