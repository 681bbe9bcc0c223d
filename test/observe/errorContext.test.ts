import { Writable } from 'node:stream';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { isConnectionError } from '../../src/errors/ConnectionError.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { withErrorContext } from '../../src/observe/errorContext.js';
import { createLogger } from '../../src/observe/logger.js';
import { logEvents, logExecution } from '../../src/observe/structuredLog.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

const refused = () =>
  new Error('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });

describe('withErrorContext (the guide error_handler)', () => {
  it('logs start and end with status and duration_ms on the clock, and returns the result', async () => {
    const { lines, logger } = capture();
    const clock = new SimulatedClock();
    const result = await withErrorContext(
      logger,
      'team_execution',
      async () => {
        clock.increment(42);
        return 'done';
      },
      { team: 'research' },
      { clock },
    );
    expect(result).toBe('done');
    expect(lines).toMatchObject([
      {
        level: 'info',
        operation: 'team_execution',
        team: 'research',
        status: 'started',
        msg: 'team_execution started',
      },
      { level: 'info', operation: 'team_execution', team: 'research', status: 'success', duration_ms: 42 },
    ]);
    expect(typeof lines[0]?.time).toBe('string');
  });

  it('logs a failure with its kind and code and rethrows it typed', async () => {
    const { lines, logger } = capture();
    const error = await withErrorContext(
      logger,
      'search',
      () => {
        throw refused();
      },
      { server: 'search' },
    ).catch((e: unknown) => e);
    expect(isConnectionError(error)).toBe(true);
    expect(error).toMatchObject({ server: 'search', code: 'ECONNREFUSED' });
    expect(lines[1]).toMatchObject({
      level: 'error',
      operation: 'search',
      server: 'search',
      status: 'failed',
      error_kind: 'connection',
      error_code: 'ECONNREFUSED',
      retryable: true,
    });
    expect(String(lines[1]?.msg)).toMatch(/^search failed after \d+ ms \(connection\): \[search\]/);
  });

  it('logs a cancellation at warn: the caller asked for it', async () => {
    const { lines, logger } = capture();
    await withErrorContext(logger, 'op', () => Promise.reject(new CancelledError('stopped'))).catch(
      () => undefined,
    );
    expect(lines[1]).toMatchObject({ level: 'warn', error_kind: 'cancelled' });
  });
});

describe('structured logs', () => {
  it('logExecution writes the guide log_execution fields', () => {
    const { lines, logger } = capture();
    logExecution(logger, {
      operation: 'team_execution',
      status: 'success',
      durationMs: 812,
      team_name: 'my_team',
      tool_count: 4,
    });
    logExecution(logger, { operation: 'team_execution', status: 'failed', durationMs: 5, error: refused() });
    expect(lines[0]).toMatchObject({
      level: 'info',
      operation: 'team_execution',
      status: 'success',
      duration_ms: 812,
      tool_count: 4,
    });
    expect(lines[1]).toMatchObject({
      level: 'error',
      status: 'failed',
      error_kind: 'connection',
      error_code: 'ECONNREFUSED',
    });
  });

  it('logEvents writes one line per event at a level that follows what happened', () => {
    const { lines, logger } = capture();
    const events = new Subject<RuntimeEvent>();
    const sub = logEvents(events, logger, { team: 'ops' });
    const at = { at: 0, source: 'server:files' };
    events.next({
      ...at,
      type: 'call.succeeded',
      server: 'files',
      tool: 'read',
      callId: 1,
      attempt: 1,
      durationMs: 7,
      isError: false,
    });
    events.next({
      ...at,
      type: 'call.failed',
      server: 'files',
      tool: 'read',
      callId: 2,
      attempt: 1,
      durationMs: 9,
      error: { kind: 'timeout', code: 'TIMEOUT', message: 'slow', retryable: true },
    });
    events.next({ ...at, type: 'connection.state', server: 'files', from: 'reconnecting', to: 'failed' });
    events.next({
      ...at,
      type: 'health.checked',
      target: 'ops',
      status: 'degraded',
      previous: 'healthy',
      checks: {},
      durationMs: 3,
    });
    sub.unsubscribe();
    expect(lines).toMatchObject([
      {
        level: 'debug',
        team: 'ops',
        event: 'call.succeeded',
        operation: 'tool_call',
        server: 'files',
        tool: 'read',
        duration_ms: 7,
      },
      { level: 'warn', event: 'call.failed', error_kind: 'timeout', error_code: 'TIMEOUT', duration_ms: 9 },
      { level: 'error', event: 'connection.state', server: 'files', from: 'reconnecting', to: 'failed' },
      { level: 'warn', event: 'health.checked', status: 'degraded' },
    ]);
  });
});
