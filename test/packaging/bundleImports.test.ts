import { describe, expect, it } from 'vitest';

// scripts/bundlePlugins.mjs requires xstate in the built package: each module's named imports of it become
// reads of the required module, so the names must be read exactly (a missed one is `undefined` at run time).
const script = new URL('../../scripts/bundlePlugins.mjs', import.meta.url).href; // plain JS: no types to check
const { importedNames } = (await import(script)) as {
  importedNames: (source: string, name: string) => string[];
};

describe('importedNames (what a module takes from a required package)', () => {
  it('reads value imports and re-exports, skips type-only ones, takes the imported name of an alias', () => {
    const source = [
      "import { Actor, type ActorRefFrom, createActor as make } from 'xstate';",
      "import type { Snapshot } from 'xstate';",
      'import {',
      '  assign,',
      '  fromPromise,',
      '} from "xstate";',
      "export { SimulatedClock } from 'xstate';",
      "import { setup } from 'xstate-other';",
    ].join('\n');
    expect(importedNames(source, 'xstate')).toEqual([
      'Actor',
      'createActor',
      'assign',
      'fromPromise',
      'SimulatedClock',
    ]);
  });

  it('refuses a namespace or default import, which it cannot turn into named reads', () => {
    expect(() => importedNames("import * as xs from 'xstate';", 'xstate')).toThrow(/namespace or default/);
    expect(() => importedNames("import xs from 'xstate';", 'xstate')).toThrow(/namespace or default/);
    expect(() => importedNames("export * from 'xstate';", 'xstate')).toThrow(/namespace or default/);
    // Another module's default import is not xstate's.
    expect(importedNames("import a from './a.js';\nimport { setup } from 'xstate';", 'xstate')).toEqual([
      'setup',
    ]);
  });
});
