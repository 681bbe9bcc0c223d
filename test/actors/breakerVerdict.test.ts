import { describe, expect, it } from 'vitest';
import { breakerVerdict, isBreakerFailure } from '../../src/actors/breakerVerdict.js';
import { AuthError } from '../../src/errors/AuthError.js';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { InputError } from '../../src/errors/InputError.js';
import { ProtocolError } from '../../src/errors/ProtocolError.js';
import { ResourceError } from '../../src/errors/ResourceError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { ToolError } from '../../src/errors/ToolError.js';

const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });

// One table for every caller: execute(), a permit's failure(error), BreakerRegistry.call and the
// connection's tool calls (callOutcome re-exports the same function).
const cases: [string, unknown, 'failure' | 'success' | 'none'][] = [
  ['a raw error', new Error('ECONNRESET'), 'failure'],
  ['a thrown string', 'boom', 'failure'],
  ['connection', new ConnectionError('refused', { code: 'ECONNREFUSED' }), 'failure'],
  ['timeout', new TimeoutError('slow', {}), 'failure'],
  ['protocol', new ProtocolError('garbage', {}), 'failure'],
  ['resource', new ResourceError('full', {}), 'failure'],
  ['tool (the server answered)', new ToolError('no such issue', {}), 'success'],
  ['input (the server answered)', new InputError('bad args', {}), 'success'],
  ['auth (the server answered)', new AuthError('401', {}), 'success'],
  ['cancelled', new CancelledError('stop', {}), 'none'],
  ['an AbortError', abort, 'none'],
  ['a nested breaker rejection', new CircuitOpenError('open', { breakerState: 'open' }), 'none'],
  ['an expired session (routine)', new ConnectionError('404', { code: 'SESSION_EXPIRED' }), 'none'],
];

describe('breakerVerdict: the one place that says what counts against a breaker', () => {
  it.each(cases)('%s -> %s', (_name, error, verdict) => {
    expect(breakerVerdict(error)).toBe(verdict);
    expect(isBreakerFailure(error)).toBe(verdict === 'failure');
  });

  it('a call this side ended (local) gets no verdict, whatever the error', () => {
    for (const [, error] of cases) expect(breakerVerdict(error, { local: true })).toBe('none');
  });

  it('isFailure replaces the failure-or-success judgment, never the no-verdict cases', () => {
    const always = { isFailure: () => true };
    const never = { isFailure: () => false };
    expect(breakerVerdict(new ToolError('x', {}), always)).toBe('failure');
    expect(breakerVerdict(new Error('x'), never)).toBe('success');
    expect(breakerVerdict(new CancelledError('x', {}), always)).toBe('none');
    expect(breakerVerdict(abort, always)).toBe('none');
  });
});
