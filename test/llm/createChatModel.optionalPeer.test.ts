import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

// '@langchain/openai' as if it were not installed: every require of it fails as Node's does.
vi.mock('node:module', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:module')>();
  const createRequire = (from: string | URL) => {
    const real = actual.createRequire(from);
    return Object.assign((id: string) => {
      if (id.includes('@langchain/openai')) {
        throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
      }
      return real(id);
    }, real);
  };
  return { ...actual, createRequire, default: { ...actual, createRequire } };
});

const { createChatModel } = await import('../../src/llm/createChatModel.js');
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every module the package root loads, following value imports only (`import type` is erased). */
function valueImportsFrom(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
    ].map((m) => m[1] as string);
    seen.set(file, specifiers);
    for (const s of specifiers) {
      if (s.startsWith('.')) visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return seen;
}

describe('@langchain/openai is an optional peer', () => {
  it('importing the package root loads neither @langchain/openai nor better-sqlite3', () => {
    const graph = valueImportsFrom(resolve(SRC, 'index.ts'));
    expect(graph.size).toBeGreaterThan(20);
    const offenders = [...graph].flatMap(([file, specifiers]) =>
      specifiers
        .filter((s) => /^(@langchain\/openai|openai|better-sqlite3)(\/|$)/.test(s))
        .map((s) => `${file}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it("provider 'openai' without the package is a ConfigurationError naming what to install", async () => {
    await expect(createChatModel({ provider: 'openai', env: { OPENAI_API_KEY: 'k' } })).rejects.toThrow(
      expect.objectContaining({
        kind: 'configuration',
        message: expect.stringContaining("'@langchain/openai'"),
        hint: expect.stringContaining('npm install @langchain/openai'),
      }),
    );
  });

  it('the offline model needs nothing of it', async () => {
    expect((await createChatModel()).constructor.name).toBe('RuleBasedChatModel');
  });
});
