import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import { classifyError } from '../../src/errors/classifyError.js';

// The shapes the OpenAI SDK and undici produce that a local server cannot (DNS failures need a
// resolver, i.e. the network); the real client's failures are in modelCalls.test.ts.
const model = { provider: 'openai', model: 'gpt-test', endpoint: 'https://api.example.test/v1' };
const apiError = (status: number, message: string) =>
  Object.assign(new Error(`${status} ${message}`), { status, error: { message } });

describe('classifyError(e, { model }) for what other model failures look like', () => {
  it('ENOTFOUND deep in the cause chain (fetch failed -> getaddrinfo) is a network failure', () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND api.example.test'), { code: 'ENOTFOUND' });
    const fetchFailed = new TypeError('fetch failed', { cause: dns });
    const e = Object.assign(new Error('Connection error.', { cause: fetchFailed }));
    expect(classifyError(e, { model })).toMatchObject({
      kind: 'model',
      reason: 'network',
      code: 'ENOTFOUND',
      retryable: true,
      message: expect.stringContaining('could not be reached at https://api.example.test/v1 (ENOTFOUND)'),
    });
  });

  it('403, 404, 504 and 503 by status', () => {
    expect(classifyError(apiError(403, 'Forbidden'), { model })).toMatchObject({
      reason: 'auth',
      code: 'HTTP_403',
    });
    expect(classifyError(apiError(404, 'The model `gpt-test` does not exist'), { model })).toMatchObject({
      reason: 'badRequest',
      code: 'HTTP_404',
      retryable: false,
      message: expect.stringMatching(/does not exist\)\. Check the model name \(and the base URL\)/),
    });
    expect(classifyError(apiError(504, 'Gateway Timeout'), { model })).toMatchObject({
      reason: 'timeout',
      retryable: true,
    });
    expect(classifyError(apiError(503, 'Overloaded'), { model })).toMatchObject({
      reason: 'unavailable',
      retryable: true,
    });
  });

  it('masks the key a provider quotes back; typed errors pass through; the unknown stays unknown', () => {
    const quoted = classifyError(apiError(401, 'Bad key sk-secret-123 given'), {
      model: { ...model, secret: 'sk-secret-123' },
    });
    expect(quoted.message).toMatch(/Bad key \*\*\* given/);
    expect(quoted.message).not.toContain('sk-secret-123');
    const typed = new ConfigurationError('script ran out');
    expect(classifyError(typed, { model })).toBe(typed);
    expect(classifyError(new RangeError('odd'), { model })).toMatchObject({
      kind: 'model',
      reason: 'unknown',
      code: 'UNEXPECTED',
      message: expect.stringMatching(/^The openai model "gpt-test" failed: odd\./),
    });
  });

  it('another provider gets generic hints, without OPENAI_ variables', () => {
    const e = classifyError(apiError(401, 'no'), { model: { provider: 'anthropic' } });
    expect(e.message).toMatch(
      /^The anthropic model refused the credentials \(HTTP 401: no\)\. Check the API key the model was built with;/,
    );
  });
});
