import { validateToolName } from '@modelcontextprotocol/sdk/shared/toolNameValidation.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MCP_TOOL_NAME_RULE,
  OPENAI_TOOL_NAME_RULE,
  qualifiedToolName,
  sanitizeToolNamePart,
  splitQualifiedName,
} from '../../src/team/toolNames.js';

const none = new Set<string>();

describe('qualifiedToolName', () => {
  it('joins the server key and the tool name with __', () => {
    expect(qualifiedToolName('files', 'read_file', none)).toBe('files__read_file');
    expect(qualifiedToolName('files', 'read.file-v2', none)).toBe('files__read.file-v2');
  });

  it('replaces characters outside [A-Za-z0-9_.-] with _ (MCP SEP-986 rule by default)', () => {
    expect(qualifiedToolName('my files/é', 'read file!', none)).toBe('my_files____read_file_');
    expect(qualifiedToolName('my files', 'a,b', none)).toBe('my_files__a_b');
    expect(sanitizeToolNamePart('a.b c')).toBe('a.b_c');
  });

  it('drops dots under the OpenAI rule', () => {
    expect(qualifiedToolName('a.b', 'get.thing', none, OPENAI_TOOL_NAME_RULE)).toBe('a_b__get_thing');
  });

  it('gives a taken name a stable hash suffix instead of a counter (servers that sanitize alike)', () => {
    const first = qualifiedToolName('a_b', 'echo', none, OPENAI_TOOL_NAME_RULE);
    const second = qualifiedToolName('a.b', 'echo', new Set([first]), OPENAI_TOOL_NAME_RULE);
    expect(first).toBe('a_b__echo');
    // sha256("a.b\0echo"), first 8 hex digits: the same on every run.
    expect(second).toBe('a_b__echo_552d3299');
    // MCP rule keeps dots, so a.b and a_b do not collide; spaces do.
    expect(qualifiedToolName('a.b', 'echo', new Set(['a_b__echo']))).toBe('a.b__echo');
    expect(qualifiedToolName('a b', 'echo', new Set(['a_b__echo']))).toMatch(/^a_b__echo_[0-9a-f]{8}$/);
  });

  it('is stable whatever the registration order: the hash depends on server and tool only', () => {
    const hashed = qualifiedToolName('my_files', 'read', new Set(['my_files__read']));
    expect(hashed).toBe('my_files__read_cce288a5');
    expect(qualifiedToolName('my_files', 'read', new Set(['my_files__read', 'other__x']))).toBe(hashed);
  });

  it('never returns a taken name, even for the same pair twice', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 5; i++) taken.add(qualifiedToolName('files', 'read', taken));
    expect(taken.size).toBe(5);
  });

  it('caps names at 128 characters, hashing when it had to cut, and keeps the server visible', () => {
    const long = qualifiedToolName('s'.repeat(100), 't'.repeat(100), none);
    expect(long).toHaveLength(128);
    expect(long).toMatch(/^s{16,}__t+_[0-9a-f]{8}$/);
    // Two long tool names with the same prefix do not collide after truncation.
    const a = qualifiedToolName('srv', `${'x'.repeat(130)}a`, none);
    const b = qualifiedToolName('srv', `${'x'.repeat(130)}b`, new Set([a]));
    expect(a).not.toBe(b);
    expect(b).toHaveLength(128);
    expect(qualifiedToolName('srv', `${'x'.repeat(130)}b`, none)).toBe(b);
    expect(qualifiedToolName('s'.repeat(40), 't'.repeat(40), none, OPENAI_TOOL_NAME_RULE)).toHaveLength(64);
  });

  it('always produces a name the rule (and the SDK validator) accepts', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (server, tool) => {
        const mcp = qualifiedToolName(server, tool, none, MCP_TOOL_NAME_RULE);
        expect(validateToolName(mcp).isValid).toBe(true);
        const openai = qualifiedToolName(server, tool, none, OPENAI_TOOL_NAME_RULE);
        expect(openai).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      }),
    );
  });
});

describe('splitQualifiedName', () => {
  it('splits at the first __', () => {
    expect(splitQualifiedName('files__read_file')).toEqual({ server: 'files', tool: 'read_file' });
    expect(splitQualifiedName('files__read__file')).toEqual({ server: 'files', tool: 'read__file' });
    expect(splitQualifiedName('plain')).toBeUndefined();
    expect(splitQualifiedName('__x')).toBeUndefined();
  });
});
