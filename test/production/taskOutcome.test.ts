import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { buildResult, readToolCalls } from '../../src/production/taskOutcome.js';
import type { ServerStatus } from '../../src/team/MCPTeam.js';

const server = (available: boolean, optional: boolean): ServerStatus => ({
  state: available ? 'ready' : 'reconnecting',
  breaker: 'closed',
  available,
  optional,
  tools: 1,
  lastError: undefined,
});
const base = { circuitState: 'closed' as const, attempts: 1, durationMs: 5 };

describe('task outcome', () => {
  it('reads the tools a turn called and which failures were the server fault', () => {
    const messages = [
      new AIMessage({
        content: '',
        tool_calls: [
          { name: 'a__echo', args: {}, id: '1' },
          { name: 'a__add', args: {}, id: '2' },
          { name: 'b__read', args: {}, id: '3' },
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
          error: { kind: 'input', code: 'X', message: 'm', retryable: false },
        },
      }),
      new ToolMessage({
        content: 'Error [unavailable]: tool "b__read"',
        tool_call_id: '3',
        name: 'b__read',
        status: 'error',
      }),
    ];
    expect(readToolCalls(messages)).toEqual({
      toolsUsed: ['a__echo', 'a__add', 'b__read'],
      failedTools: [
        { tool: 'a__add', kind: 'input', serverFault: false },
        { tool: 'b__read', kind: 'unavailable', serverFault: true },
      ],
    });
  });

  it('success needs every required server; a missing optional one is only listed', () => {
    const ok = buildResult({
      ...base,
      source: 'team',
      answer: 'a',
      servers: { a: server(true, false), b: server(false, true) },
    });
    expect(ok).toMatchObject({
      status: 'success',
      result: 'a',
      metadata: { unavailableServers: ['b'], reasons: [] },
    });
    const missing = buildResult({
      ...base,
      source: 'team',
      answer: 'a',
      servers: { a: server(false, false) },
    });
    expect(missing.status).toBe('degraded');
    expect(missing.metadata.reasons).toEqual([
      'required server a unavailable (reconnecting, breaker closed)',
    ]);
  });

  it('cache and fallback answers are degraded, no answer is failed, both with the typed reason', () => {
    const error = new TimeoutError('Step "turn" ran out of its 100 ms budget.');
    const cached = buildResult({ ...base, source: 'cache', answer: 'old', error, servers: {} });
    expect(cached).toMatchObject({ status: 'degraded', result: 'old', errorType: 'timeout' });
    const failed = buildResult({ ...base, source: 'none', error, servers: {} });
    expect(failed).toMatchObject({ status: 'failed', errorType: 'timeout', error: error.message });
    expect(failed.result).toBeUndefined();
    expect(failed.metadata.reasons).toEqual([error.message]);
  });
});
