import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { addSecrets, createLogger } from '../../src/observe/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON lines with level, time and the actor fields of the child', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    logger
      .child({ team: 'research', server: 'files' })
      .info({ operation: 'connect', duration_ms: 12 }, 'connected');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      team: 'research',
      server: 'files',
      operation: 'connect',
      duration_ms: 12,
      msg: 'connected',
    });
    expect(typeof lines[0]?.time).toBe('string');
  });

  it('redacts Authorization and cookie headers and env blocks', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    logger.info({ headers: { authorization: 'Bearer abc', cookie: 'sid=1', accept: 'json' } }, 'request');
    logger.info({ config: { headers: { Authorization: 'Bearer xyz' }, env: { TOKEN: 'shh' } } }, 'config');
    expect(lines[0]?.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]', accept: 'json' });
    expect(lines[1]?.config).toEqual({ headers: { Authorization: '[redacted]' }, env: '[redacted]' });
  });

  it('scrubs registered secret values from messages and fields, also in children', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'debug', destination, secrets: ['s3cr3t-token'] });
    const child = logger.child({ server: 'gh' });
    addSecrets(logger, ['hunter22']);
    child.debug({ stderr: 'auth with s3cr3t-token failed' }, 'server said hunter22');
    expect(JSON.stringify(lines[0])).not.toMatch(/s3cr3t-token|hunter22/);
    expect(lines[0]?.stderr).toBe('auth with [redacted] failed');
    expect(lines[0]?.msg).toBe('server said [redacted]');
  });
});
