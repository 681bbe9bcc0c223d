import { describe, expect, it } from 'vitest';
import { withUrlCredentials } from '../../src/transports/urlCredentials.js';

describe('withUrlCredentials', () => {
  it('moves user:pass@ into a Basic Authorization header (fetch refuses credentials in URLs)', () => {
    const { url, headers } = withUrlCredentials('https://ada:p%40ss@host.test/mcp?x=1', { 'X-A': '1' });
    expect(url.href).toBe('https://host.test/mcp?x=1');
    expect(headers).toEqual({
      'X-A': '1',
      Authorization: `Basic ${Buffer.from('ada:p@ss').toString('base64')}`,
    });
  });

  it('keeps an explicit Authorization header and still strips the URL', () => {
    const { url, headers } = withUrlCredentials('http://u:p@127.0.0.1:1/mcp', { authorization: 'Bearer t' });
    expect(url.href).toBe('http://127.0.0.1:1/mcp');
    expect(headers).toEqual({ authorization: 'Bearer t' });
  });

  it('leaves a URL without credentials alone', () => {
    const { url, headers } = withUrlCredentials('http://127.0.0.1:1/mcp', undefined);
    expect(url.href).toBe('http://127.0.0.1:1/mcp');
    expect(headers).toBeUndefined();
  });
});
