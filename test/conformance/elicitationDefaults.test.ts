import { describe, expect, it } from 'vitest';
import { acceptWithDefaults, schemaDefaults } from './elicitationDefaults.js';

const context = { server: 'conformance', signal: new AbortController().signal };

describe('the conformance client elicitation policy', () => {
  it('accepts a form with the default of every property that has one (SEP-1034)', async () => {
    const result = await acceptWithDefaults(
      {
        message: 'Your details',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', default: 'John Doe' },
            age: { type: 'integer', default: 30 },
            score: { type: 'number', default: 95.5 },
            status: { type: 'string', enum: ['active', 'inactive'], default: 'active' },
            verified: { type: 'boolean', default: true },
            nickname: { type: 'string' },
          },
        },
      },
      context,
    );
    expect(result).toEqual({
      action: 'accept',
      content: { name: 'John Doe', age: 30, score: 95.5, status: 'active', verified: true },
    });
  });

  it('declines a URL elicitation: nobody is there to open it', async () => {
    const result = await acceptWithDefaults(
      { mode: 'url', message: 'Sign in', url: 'https://example.com/login', elicitationId: 'e1' },
      context,
    );
    expect(result).toEqual({ action: 'decline' });
  });

  it('gives empty content for a schema without properties', () => {
    expect(schemaDefaults(undefined)).toEqual({});
    expect(schemaDefaults({ type: 'object', properties: {} })).toEqual({});
  });
});
