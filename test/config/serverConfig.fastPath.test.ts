// parseServerConfig checks the commonest stdio config (name, transport, command, args) by hand; every
// input must get the same outcome as the schema gives it: the same object (fields in the same order)
// or the same ConfigurationError.
import { describe, expect, it } from 'vitest';
import { parseServerConfig, parseWithSchema } from '../../src/config/serverConfig.js';

function outcome(parse: () => unknown): unknown {
  try {
    const config = parse();
    return { config, keys: Object.keys(config as object), proto: Object.getPrototypeOf(config) };
  } catch (e) {
    return { error: (e as Error).message, name: (e as Error).name };
  }
}

const base = { name: 'files', transport: 'stdio', command: 'npx' };
class Configured {
  name = 'cls';
  transport = 'stdio';
  command = 'srv';
}

const inputs: Record<string, unknown>[] = [
  base,
  { ...base, args: [] },
  { ...base, args: ['-y', '@modelcontextprotocol/server-memory'] },
  { command: 'npx', transport: 'stdio', name: 'reordered', args: ['a'] },
  { ...base, args: undefined },
  { ...base, args: ['a', 1] },
  { ...base, args: 'not-an-array' },
  // biome-ignore lint/suspicious/noSparseArray: a hole must go the schema's way
  { ...base, args: ['a', , 'b'] },
  { ...base, command: '' },
  { ...base, command: '   ' },
  { ...base, command: ' npx ' },
  { ...base, command: 7 },
  { ...base, name: 'bad name' },
  { ...base, name: '' },
  { ...base, name: 'x'.repeat(65) },
  { ...base, name: 42 },
  { transport: 'stdio', command: 'npx' },
  { ...base, cwd: '/srv' },
  { ...base, connectTimeoutMs: 1_000 },
  { ...base, extra: true },
  new Configured() as unknown as Record<string, unknown>,
  Object.assign(Object.create({ inherited: 1 }), base),
  { ...base, [Symbol('meta')]: 1 },
];

describe('parseServerConfig: the hand-checked stdio config and the schema agree', () => {
  it.each(inputs.map((input, i) => [i, input] as const))('input %i gets the schema outcome', (_, input) => {
    const fast = outcome(() => parseServerConfig(input));
    const schema = outcome(() => {
      const server =
        typeof input.name === 'string' && input.name !== '' ? input.name.slice(0, 64) : undefined;
      return parseWithSchema(input, server, 'stdio');
    });
    expect(fast).toStrictEqual(schema);
  });

  it('returns a fresh args array, not the caller’s', () => {
    const args = ['a'];
    const config = parseServerConfig({ ...base, args });
    expect(config.transport === 'stdio' && config.args).toEqual(['a']);
    expect(config.transport === 'stdio' && config.args).not.toBe(args);
  });
});
