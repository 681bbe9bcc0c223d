import { describe, expect, it } from 'vitest';
import { argsFromSchema } from '../../src/llm/argsFromSchema.js';
import type { JsonSchema } from '../../src/llm/boundTools.js';
import { extractTaskValues } from '../../src/llm/taskValues.js';

const object = (properties: Record<string, JsonSchema>, required = Object.keys(properties)): JsonSchema => ({
  type: 'object',
  properties,
  required,
});

describe('extractTaskValues', () => {
  it('pulls quoted strings, URLs, paths and numbers, and leaves the intent words', () => {
    const values = extractTaskValues(
      'Fetch https://example.com/a?b=1, copy /tmp/in.txt to ./out/ and "say hi" 3 times (or 2.5), see ~/notes.md.',
    );
    expect(values.quoted).toEqual(['say hi']);
    expect(values.urls).toEqual(['https://example.com/a?b=1']);
    expect(values.paths).toEqual(['/tmp/in.txt', './out/', '~/notes.md']);
    expect(values.numbers).toEqual([3, 2.5]);
    expect(values.intent).not.toMatch(/tmp|example|say hi|\d/);
  });

  it('does not take "and/or" or a lone slash for a path, nor digits inside words for numbers', () => {
    const values = extractTaskValues('read and/or write / the v2 file');
    expect(values.paths).toEqual([]);
    expect(values.numbers).toEqual([]);
  });
});

describe('argsFromSchema', () => {
  it('gives path fields the paths and free-text fields the quoted strings, whatever the field order', () => {
    const schema = object({ content: { type: 'string' }, path: { type: 'string' } });
    expect(argsFromSchema(schema, extractTaskValues('write "hello" to /tmp/a.txt'))).toEqual({
      content: 'hello',
      path: '/tmp/a.txt',
    });
  });

  it('falls back to the task text for strings, and uses each value once', () => {
    const schema = object({ query: { type: 'string' }, other: { type: 'string' } });
    expect(argsFromSchema(schema, extractTaskValues('  find "cats" please '))).toEqual({
      query: 'cats',
      other: 'find "cats" please',
    });
  });

  it('uses URLs for url-like fields', () => {
    const schema = object({ url: { type: 'string', format: 'uri' }, note: { type: 'string' } });
    expect(argsFromSchema(schema, extractTaskValues('fetch "it" from https://x.test/y.'))).toEqual({
      url: 'https://x.test/y',
      note: 'it',
    });
  });

  it('reads numbers from the task, truncates integers and respects bounds', () => {
    const schema = object({
      a: { type: 'number' },
      b: { type: 'integer', maximum: 10 },
      c: { type: 'integer', exclusiveMinimum: 0 },
    });
    expect(argsFromSchema(schema, extractTaskValues('use 1.5 and 99'))).toEqual({ a: 1.5, b: 10, c: 1 });
  });

  it('fills enums, consts, booleans, nullable unions, nested objects and arrays minimally', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        mode: { type: 'string', enum: ['fast', 'slow'] },
        kind: { const: 'note' },
        dryRun: { type: 'boolean' },
        flag: { type: 'boolean', default: true },
        label: { anyOf: [{ type: 'null' }, { type: 'string' }] },
        options: object({ depth: { type: 'integer', minimum: 1 } }),
        tags: { type: 'array', items: { type: 'string', enum: ['a'] } },
        pair: { type: 'array', items: { type: 'number' }, minItems: 2 },
        optional: { type: 'string' },
      },
      required: ['mode', 'kind', 'dryRun', 'flag', 'label', 'options', 'tags', 'pair'],
    };
    expect(argsFromSchema(schema, extractTaskValues('do "x"'))).toEqual({
      mode: 'fast',
      kind: 'note',
      dryRun: false,
      flag: true,
      label: 'x',
      options: { depth: 1 },
      tags: [],
      pair: [0, 0],
    });
  });

  it('gives arrays of paths every path of the task', () => {
    const schema = object({ paths: { type: 'array', items: { type: 'string' } } });
    expect(argsFromSchema(schema, extractTaskValues('read /a and /b'))).toEqual({ paths: ['/a', '/b'] });
  });

  it('follows local $ref into $defs and definitions, and stops on recursive schemas', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { target: { $ref: '#/$defs/Target' }, node: { $ref: '#/definitions/Node' } },
      required: ['target', 'node'],
      $defs: { Target: object({ file: { type: 'string' } }) },
      definitions: { Node: object({ child: { $ref: '#/definitions/Node' } }) },
    };
    const args = argsFromSchema(schema, extractTaskValues('open /etc/hosts'));
    expect(args.target).toEqual({ file: '/etc/hosts' });
    expect(JSON.stringify(args.node).length).toBeLessThan(200);
  });

  it('merges allOf and returns {} for schemas that are not objects', () => {
    const schema: JsonSchema = {
      allOf: [object({ a: { type: 'string' } }), object({ b: { type: 'boolean' } })],
    };
    expect(argsFromSchema(schema, extractTaskValues('"v"'))).toEqual({ a: 'v', b: false });
    expect(argsFromSchema({ type: 'string' }, extractTaskValues('x'))).toEqual({});
  });
});
