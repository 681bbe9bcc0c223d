import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toBoundTool } from '../../src/llm/boundTools.js';
import { parseTaskPlan } from '../../src/llm/planLines.js';
import { selectTools, wordsOf } from '../../src/llm/toolMatching.js';

describe('parseTaskPlan', () => {
  it('reads use: lines with list markers, with and without JSON, and keeps the rest as text', () => {
    const plan = parseTaskPlan(
      'Do this:\n1. use: a__x {"n":1}\n- USE: b__y\n* use: c__z {"deep":{"k":[1]}}\nthanks',
    );
    expect(plan.steps).toEqual([
      { tool: 'a__x', args: { n: 1 } },
      { tool: 'b__y', args: undefined },
      { tool: 'c__z', args: { deep: { k: [1] } } },
    ]);
    expect(plan.text).toBe('Do this:\nthanks');
    expect(plan.problems).toEqual([]);
  });

  it('reports unreadable arguments per line', () => {
    const plan = parseTaskPlan('use: a {oops}\nuse: b [1,2]');
    expect(plan.steps).toEqual([]);
    expect(plan.problems.map((p) => p.problem)).toEqual([
      expect.stringMatching(/^arguments are not valid JSON/),
      'arguments must be a JSON object',
    ]);
  });
});

describe('tool matching', () => {
  it('splits names on __, _, - and camelCase, drops stop words and numbers, and stems plurals', () => {
    expect(wordsOf('fs__readFile the-HTTPServer 42 directories')).toEqual([
      'fs',
      'read',
      'file',
      'http',
      'server',
      'directory',
    ]);
  });

  it('needs a name word or two other words; prefers own-name words over the server prefix', () => {
    const tools = [
      toBoundTool({
        name: 'memory__create_entities',
        description: 'Create entities in the graph',
        schema: {},
      }),
      toBoundTool({
        name: 'memory__search_nodes',
        description: 'Search nodes in the knowledge graph',
        schema: {},
      }),
    ];
    expect(selectTools('search the knowledge graph', tools, 3).map((t) => t.name)).toEqual([
      'memory__search_nodes',
    ]);
    expect(selectTools('memory', tools, 3)).toEqual([]);
    expect(selectTools('create entities and search nodes', tools, 1).map((t) => t.name)).toEqual([
      'memory__create_entities',
    ]);
  });
});

describe('toBoundTool', () => {
  it('converts zod schemas and accepts a missing schema', () => {
    const fromZod = toBoundTool({
      name: 't',
      description: 'd',
      schema: z.object({ n: z.number().optional() }),
    });
    expect(fromZod.schema.type).toBe('object');
    expect(fromZod.schema.properties?.n).toMatchObject({ type: 'number' });
    expect(toBoundTool({ name: 'bare' })).toEqual({
      name: 'bare',
      description: '',
      schema: { type: 'object', properties: {} },
    });
  });

  it('names the offending tool', () => {
    expect(() => toBoundTool({ name: 'bad', schema: 'nope' }, 2)).toThrow(/schema of tool "bad"/);
    expect(() => toBoundTool(null as never, 4)).toThrow(/tool #4 is not an object/);
  });
});
