import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { toolFailures, unresolvedToolFailures } from '../../src/team/toolFailures.js';

// The three shapes of failed ToolMessage a turn produces (agentLoop.ts, createMcpTool.ts).
const messages = [
  new AIMessage({
    content: '',
    tool_calls: [
      { name: 'a__echo', args: {}, id: '1' },
      { name: 'a__add', args: {}, id: '2' },
      { name: 'b__read', args: {}, id: '3' },
      { name: 'made_up', args: {}, id: '4' },
    ],
  }),
  new ToolMessage({ content: 'ok', tool_call_id: '1', name: 'a__echo' }),
  new ToolMessage({
    content: 'Error [input]',
    tool_call_id: '2',
    name: 'a__add',
    status: 'error',
    artifact: {
      server: 'a',
      tool: 'add',
      isError: true,
      error: { kind: 'input', code: 'BAD_ARGS', message: '[a] b must be a number', retryable: false },
    },
  }),
  new ToolMessage({
    content:
      'Error [unavailable]: tool "b__read" cannot be called: its server "b" is unavailable right now. Use the tools offered, or answer with what you have.',
    tool_call_id: '3',
    name: 'b__read',
    status: 'error',
  }),
  new ToolMessage({
    content:
      'Error [unavailable]: tool "made_up" cannot be called: no tool with this name exists. Use the tools offered, or answer with what you have.',
    tool_call_id: '4',
    name: 'made_up',
    status: 'error',
  }),
];

describe('toolFailures: the one reader of a turn’s failed tool calls', () => {
  it('types each failure: the artifact’s error, an unavailable server, anything else a tool error', () => {
    const failures = toolFailures(messages);
    expect(failures.map((f) => [f.tool, f.server, f.error.kind, f.error.code])).toEqual([
      ['a__add', 'a', 'input', 'BAD_ARGS'],
      ['b__read', 'b', 'connection', 'TOOL_UNAVAILABLE'],
      ['made_up', undefined, 'tool', 'TOOL_ERROR'],
    ]);
    expect(failures[0]?.error.message).toBe('[a] b must be a number');
    expect(failures[1]?.error).toMatchObject({ server: 'b', retryable: true });
  });

  it('unresolvedToolFailures drops a failure the model fixed with a later call of the same tool', () => {
    const fixed = new ToolMessage({ content: '5', tool_call_id: '5', name: 'a__add' });
    expect(unresolvedToolFailures([...messages, fixed]).map((f) => f.tool)).toEqual(['b__read', 'made_up']);
  });
});
