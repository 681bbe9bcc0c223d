import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { Redactor, redactorOf, redactUrl, redactUrls, secretsOfUrl } from '../../src/errors/redact.js';
import { EventBus, summarizeError } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { addSecrets, createLogger } from '../../src/observe/logger.js';

describe('redactUrl', () => {
  it('masks userinfo and sensitive query values, keeps the rest', () => {
    expect(redactUrl('https://user:pass@host/x?token=abc&q=1')).toBe('https://***@host/x?token=***&q=1');
    expect(redactUrl(new URL('http://tok3n@h:8080/p'))).toBe('http://***@h:8080/p');
    expect(redactUrl('http://h/p?api_key=k1&Signature=s&X-Amz-Credential=c&sessionId=7')).toBe(
      'http://h/p?api_key=***&Signature=***&X-Amz-Credential=***&sessionId=7',
    );
    expect(redactUrl('http://h/p?access_token=a#frag')).toBe('http://h/p?access_token=***#frag');
    expect(redactUrl('http://127.0.0.1:3001/mcp')).toBe('http://127.0.0.1:3001/mcp');
  });

  it('finds URLs inside free text, JSON and request lines, and is idempotent', () => {
    const text = 'POST /mcp?token=abc failed; see {"url":"wss://a:b@h/s?password=pw"} and mail x@y.z';
    const once = redactUrls(text);
    expect(once).toBe('POST /mcp?token=*** failed; see {"url":"wss://***@h/s?password=***"} and mail x@y.z');
    expect(redactUrls(once)).toBe(once);
    const clean = 'nothing to see here: a=1';
    expect(redactUrls(clean)).toBe(clean);
  });

  it('lists the secret values a URL carries', () => {
    expect(secretsOfUrl('https://me:p%40ss@h/x?token=abc&q=1')).toEqual(['p@ss', 'abc']);
    expect(secretsOfUrl('https://ghp_abc123@h/x')).toEqual(['ghp_abc123']);
    expect(secretsOfUrl('not a url')).toEqual([]);
  });
});

describe('Redactor', () => {
  it('scrubs registered values, their URL and JSON forms, and URL credentials', () => {
    const r = new Redactor(['s3cr3t-token', 'a"b\\c-d', 'ab']);
    expect(r.redact('auth s3cr3t-token at https://u:p@h/')).toBe('auth [redacted] at https://***@h/');
    expect(r.redact(JSON.stringify({ v: 'x a"b\\c-d y' }))).toBe('{"v":"x [redacted] y"}');
    expect(r.redact(`q=${encodeURIComponent('a"b\\c-d')}`)).toBe('q=[redacted]');
    expect(r.redact('ab is too short to be a secret')).toBe('ab is too short to be a secret');
  });

  it('redactDeep copies only what changed and leaves class instances alone', () => {
    const r = new Redactor(['hunter22']);
    const clean = { a: 'x', b: [1, 'y'], c: { d: 'z' } };
    expect(r.redactDeep(clean)).toBe(clean);
    const dirty = { a: 'x', b: ['hunter22'], c: { d: 'z' } };
    const out = r.redactDeep(dirty);
    expect(out).toEqual({ a: 'x', b: ['[redacted]'], c: { d: 'z' } });
    expect(out.c).toBe(dirty.c);
    expect(dirty.b[0]).toBe('hunter22');
  });
});

describe('one redaction for every channel', () => {
  it('addSecrets reaches a logger (and its children) and a bus through the same call', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    const bus = new EventBus();
    addSecrets([logger.child({ server: 's' }), bus], ['SECRET-ONE']);
    expect(redactorOf(logger)?.redact('SECRET-ONE')).toBe('[redacted]');
    const seen: RuntimeEvent[] = [];
    bus.events$.subscribe((e) => seen.push(e));
    bus.emit({ type: 'server.stderr', at: 1, source: 'server:s', server: 's', line: 'key=SECRET-ONE' });
    logger.error(new Error('boom SECRET-ONE at http://u:pw@h/?token=t0k'), 'failed');
    expect(seen[0]).toMatchObject({ line: 'key=[redacted]' });
    expect(lines.join('')).not.toMatch(/SECRET-ONE|u:pw|t0k/);
    expect(lines.join('')).toContain('http://***@h/?token=***');
  });

  it('the bus leaves events without text untouched (same object) and skips work with no subscriber', () => {
    const bus = new EventBus();
    addSecrets(bus, ['s']);
    const event: RuntimeEvent = {
      type: 'call.started',
      at: 1,
      source: 'server:s',
      server: 's',
      tool: 't',
      callId: 1,
      attempt: 1,
    };
    const seen: RuntimeEvent[] = [];
    bus.emit(event);
    bus.events$.subscribe((e) => seen.push(e));
    bus.emit(event);
    expect(seen).toEqual([event]);
    expect(seen[0]).toBe(event);
  });

  it('typed errors mask URL credentials in message, hint and toJSON, and keep the cause', () => {
    const cause = new TypeError(
      'Request cannot be constructed from a URL that includes credentials: http://u:pw@h/x?token=t0k',
    );
    const e = new ConnectionError(`fetch failed: ${cause.message}`, {
      server: 'api',
      cause,
      hint: 'Check http://u:pw@h/x?token=t0k.',
    });
    for (const text of [
      e.message,
      e.hint ?? '',
      JSON.stringify(e),
      JSON.stringify(summarizeError(e)),
      e.stack ?? '',
    ])
      expect(text).not.toMatch(/pw|t0k/);
    expect(e.message).toContain('http://***@h/x?token=***');
    expect(e.cause).toBe(cause);
    expect(JSON.stringify(e)).not.toContain('cause');
    const config = new ConfigurationError('url https://me:pw@h/?api_key=k3y is bad');
    expect(config.message).toBe('url https://***@h/?api_key=*** is bad');
  });
});
