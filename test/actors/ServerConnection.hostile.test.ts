import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ServerConnection, type ServerConnectionOptions } from '../../src/actors/ServerConnection.js';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { createLogger } from '../../src/observe/logger.js';
import { type HttpFixture, startHttpFixture, stdioFixture, stopAllFixtures } from '../fixtures/index.js';
import { quietLogger, record } from './connectionTestKit.js';

const open: ServerConnection[] = [];
function connect(config: ServerConfig, extra: Partial<ServerConnectionOptions> = {}) {
  const conn = new ServerConnection({ config, logger: quietLogger, ...extra });
  open.push(conn);
  return conn;
}
const http = (fx: HttpFixture): ServerConfig => ({
  name: 'web',
  transport: 'streamableHttp',
  url: fx.url.href,
  connectTimeoutMs: 5_000,
});
const stdio = (faults: string[] = []): ServerConfig => ({
  name: 'fx',
  transport: 'stdio',
  ...stdioFixture({ faults }),
  connectTimeoutMs: 5_000,
});
/** Resolves once the HTTP fixture has received `count` more tool calls than `before` (each check is a round trip). */
async function serverReceived(fx: HttpFixture, before: number, count: number): Promise<void> {
  const calls = async () => ((await fx.admin('/__admin/state')) as { toolCalls: number }).toolCalls;
  while ((await calls()) < before + count) {}
}
const toolCallsOf = async (fx: HttpFixture) =>
  ((await fx.admin('/__admin/state')) as { toolCalls: number }).toolCalls;

const text = (r: { content: unknown[] }) => (r.content[0] as { text?: string } | undefined)?.text;

/** A logger whose lines are kept (JSON objects), at debug level. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(stopAllFixtures);

describe('ServerConnection against hostile servers', () => {
  it('404 session expiry with 5 calls in flight: a re-initialization, never a breaker failure', async () => {
    const fx = await startHttpFixture();
    const conn = connect(http(fx));
    await conn.start();
    const rec = record(conn);
    await fx.admin('/__admin/expire-sessions');
    const replies = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => conn.callTool('echo', { text: `call ${i}` })),
    );
    expect(replies.map(text)).toEqual(['call 1', 'call 2', 'call 3', 'call 4', 'call 5']);
    expect(conn.breaker.state).toBe('closed');
    expect(rec.ofType('call.rejected')).toHaveLength(0);
    expect(rec.ofType('breaker.transition')).toHaveLength(0);
    expect(rec.ofType('call.failed').every((e) => e.error.code === 'SESSION_EXPIRED')).toBe(true);
    expect(conn.available).toBe(true);
  });

  it('404 session expiry while 5 slow calls are in flight: they are repeated after re-initializing', async () => {
    const fx = await startHttpFixture();
    const conn = connect(http(fx), { retry: { idempotent: true } });
    await conn.start();
    const rec = record(conn);
    const before = await toolCallsOf(fx);
    const calls = [1, 2, 3, 4, 5].map((i) => conn.callTool('slow', { ms: 300 + i }));
    await serverReceived(fx, before, 5); // all five are running on the server
    await fx.admin('/__admin/expire-sessions');
    const replies = await Promise.all(calls);
    expect(replies.map(text)).toEqual([301, 302, 303, 304, 305].map((ms) => `slept ${ms}`));
    expect(conn.breaker.state).toBe('closed');
    expect(rec.ofType('call.rejected')).toHaveLength(0);
  });

  it('close() with calls in flight: CancelledError, the breaker gets no verdict', async () => {
    const conn = connect(stdio(), { breaker: { strategy: { kind: 'consecutive', threshold: 2 } } });
    await conn.start();
    const rec = record(conn);
    const calls = [1, 2, 3, 4, 5].map((i) => conn.callTool('hang', {}, { timeout: 10_000 + i }));
    // stdio is ordered: once a later echo is answered, the five hangs have reached the server.
    expect(text(await conn.callTool('echo', { text: 'after the hangs' }))).toBe('after the hangs');
    await conn.close();
    const outcomes = await Promise.allSettled(calls);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(CancelledError);
      expect(reason).toMatchObject({ kind: 'cancelled', server: 'fx' });
    }
    expect(conn.breaker.state).toBe('closed');
    expect(rec.ofType('breaker.transition')).toHaveLength(0);
    expect(rec.ofType('call.failed').every((e) => e.error.kind === 'cancelled')).toBe(true);
  });

  it('a stdio server that exits at start-up: the error and the state event carry its exit code and stderr', async () => {
    const conn = connect(stdio(['exit-immediately']), { connection: { maxRestarts: 0 } });
    const rec = record(conn);
    const error = await conn.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'connection', code: 'PROCESS_EXIT', server: 'fx' });
    const message = (error as Error).message;
    expect(message).toContain('exited with code 1 at start-up');
    expect(message).toContain('stdio fixture: exit-immediately fault, exiting with code 1');
    expect(message).toContain("Fix the server's command, args or env");
    expect(message).not.toMatch(/reconnects on its own/);
    const failed = rec.ofType('connection.state').find((e) => e.to === 'failed');
    expect(failed?.reason?.message).toContain('exited with code 1 at start-up');
    expect(failed?.reason?.message).toContain('exit-immediately fault');
  });

  it('a stdio server that exits at start-up with a long stderr: only the last lines, bounded', async () => {
    const script = [
      'for (let i = 1; i <= 40; i++) process.stderr.write("line " + i + " " + "x".repeat(100) + "\\n");',
      'process.exitCode = 7;',
    ].join(' ');
    const conn = connect(
      {
        name: 'noisy',
        transport: 'stdio',
        command: process.execPath,
        args: ['-e', script],
        connectTimeoutMs: 5_000,
      },
      { connection: { maxRestarts: 0 } },
    );
    const error = (await conn.start().catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'PROCESS_EXIT' });
    expect(error.message).toContain('exited with code 7 at start-up');
    expect(error.message).toContain('line 40 ');
    expect(error.message).toContain('line 36 ');
    expect(error.message).not.toContain('line 35 ');
    expect(error.message.length).toBeLessThan(3_000);
  });

  it('10,000 log notifications: at most 20 lines per second, then one "suppressed" summary', async () => {
    const clock = new SimulatedClock();
    const { logger, lines } = capturingLogger();
    const conn = connect(stdio(), { clock, logger });
    await conn.start();
    const reply = await conn.callTool('log_flood', { count: 10_000 });
    expect(text(reply)).toBe('logged 10000');
    await new Promise((r) => setImmediate(r));
    const logLines = () => lines.filter((l) => l.msg === 'server log');
    expect(logLines()).toHaveLength(20);
    expect(logLines()[0]).toMatchObject({
      level: 'debug',
      server: 'fx',
      serverLog: { level: 'info', data: 'flood 1/10000' },
    });
    clock.increment(1_000);
    const summary = lines.filter((l) => l.channel === 'server log');
    expect(summary).toEqual([expect.objectContaining({ level: 'warn', suppressed: 9_980, windowMs: 1_000 })]);
    // The next window lets lines through again.
    await conn.callTool('log_flood', { count: 30 });
    await new Promise((r) => setImmediate(r));
    expect(logLines()).toHaveLength(40);
    expect(lines.length).toBeLessThan(60);
  });

  it('10,000 progress notifications nobody asked for: bounded transport-error lines', async () => {
    const clock = new SimulatedClock();
    const { logger, lines } = capturingLogger();
    const conn = connect(stdio(), { clock, logger });
    await conn.start();
    expect(text(await conn.callTool('log_flood', { count: 10_000, kind: 'progress' }))).toBe(
      'progressed 10000',
    );
    await new Promise((r) => setImmediate(r));
    expect(lines.filter((l) => l.msg === 'transport error')).toHaveLength(20);
    clock.increment(1_000);
    expect(lines.filter((l) => l.channel === 'transport error')).toEqual([
      expect.objectContaining({ suppressed: 9_980 }),
    ]);
    expect(lines.length).toBeLessThan(40);
  });

  it('close() with calls in flight over HTTP: CancelledError too', async () => {
    const fx = await startHttpFixture();
    const conn = connect(http(fx), { breaker: { strategy: { kind: 'consecutive', threshold: 2 } } });
    await conn.start();
    const before = await toolCallsOf(fx);
    const calls = [1, 2, 3].map(() => conn.callTool('hang', {}, { timeout: 10_000 }));
    await serverReceived(fx, before, 3); // all three are running on the server
    await conn.close();
    const outcomes = await Promise.allSettled(calls);
    for (const outcome of outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(CancelledError);
    }
    expect(conn.breaker.state).toBe('closed');
  });
});

describe('the longest timeout a timer can hold', () => {
  it('a call with timeout MAX_TIMER_MS (2^31-1 ms) runs normally: the SDK backstop is clamped, not overflowed', async () => {
    const conn = connect(stdio());
    await conn.start();
    const overflow: string[] = [];
    const onWarning = (w: Error) => overflow.push(w.name);
    process.on('warning', onWarning);
    try {
      expect(text(await conn.callTool('echo', { text: 'long budget' }, { timeout: 2 ** 31 - 1 }))).toBe(
        'long budget',
      );
    } finally {
      process.off('warning', onWarning);
    }
    expect(overflow).not.toContain('TimeoutOverflowWarning');
  });
});

describe('a secret the server echoes in its own error text', () => {
  it('never reaches the error the caller gets, nor lastError (the env value is registered as a secret)', async () => {
    const secret = 'SECRET-ECHOED-7731';
    const hostile = fileURLToPath(new URL('../fixtures/hostile-server.mjs', import.meta.url));
    const conn = connect({
      name: 'leaky',
      transport: 'stdio',
      command: process.execPath,
      args: [hostile, '--mode=leak-secrets'],
      env: { API_KEY: secret },
    });
    await conn.start();
    const error = await conn.callTool('leak_error').then(
      () => undefined,
      (e: unknown) => e as Error & { toJSON(): unknown; toolMessage?: string },
    );
    expect(error).toMatchObject({ kind: 'tool', code: 'MCP_-32000' });
    expect(error?.message).toContain('upstream refused key [redacted]');
    for (const text of [
      error?.message,
      error?.toolMessage,
      JSON.stringify(error?.toJSON()),
      String(conn.lastError?.message),
    ]) {
      expect(text ?? '').not.toContain(secret);
    }
  });
});
