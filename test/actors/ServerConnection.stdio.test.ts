import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ServerConnection, type ServerConnectionOptions } from '../../src/actors/ServerConnection.js';
import { isAzcoreError } from '../../src/errors/AzcoreError.js';
import { processAlive, stdioFixture, stopAllFixtures } from '../fixtures/index.js';
import { quietLogger, reach, record } from './connectionTestKit.js';

const open: ServerConnection[] = [];
function connect(faults: string[] = [], extra: Partial<ServerConnectionOptions> = {}, name = 'fx') {
  const conn = new ServerConnection({
    config: { name, transport: 'stdio', ...stdioFixture({ faults }), connectTimeoutMs: 5_000 },
    logger: quietLogger,
    ...extra,
  });
  open.push(conn);
  return conn;
}
const text = (r: { content: unknown[] }) => (r.content[0] as { text?: string } | undefined)?.text;

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(stopAllFixtures);

describe('ServerConnection over stdio (fixture server)', () => {
  it('connects, lists tools and calls one; the state path is idle -> connecting -> ready', async () => {
    const conn = connect();
    const rec = record(conn);
    await conn.start();
    expect(conn.state).toBe('ready');
    const tools = await conn.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'add', 'hang', 'crash']));
    expect(text(await conn.callTool('echo', { text: 'hi' }))).toBe('hi');
    expect(rec.states()).toEqual(['idle', 'connecting', 'ready']);
    expect(rec.ofType('call.succeeded')).toHaveLength(1);
  });

  it('caches tools/list and refreshes it when the server announces a change', async () => {
    const conn = connect();
    await conn.start();
    const first = await conn.listTools();
    expect(await conn.listTools()).toBe(first);
    const rec = record(conn);
    const changed = new Promise((resolve) =>
      conn.events$.subscribe((e) => e.type === 'tools.changed' && resolve(e)),
    );
    await conn.callTool('add_tool', { name: 'late_tool' });
    await changed;
    expect((await conn.listTools()).map((t) => t.name)).toContain('late_tool');
    expect(rec.ofType('tools.changed')[0]?.tools).toBe(first.length + 1);
  });

  it('SIGKILL mid-call: the call fails typed, the actor reconnects, the next call succeeds, no process is left', async () => {
    const conn = connect();
    const rec = record(conn);
    await conn.start();
    const firstPid = conn.pid!;
    const pending = conn.callTool('slow', { ms: 10_000 });
    // The request was sent and `slow` is not marked idempotent: the outcome is unknown, not retried.
    const failure = expect(pending).rejects.toMatchObject({
      kind: 'connection',
      server: 'fx',
      code: 'OUTCOME_UNKNOWN',
      retryable: false,
      cause: { code: 'CONNECTION_CLOSED' },
    });
    // stdio is ordered: once a later echo is answered, the slow request has reached the server.
    expect(text(await conn.callTool('echo', { text: 'after slow' }))).toBe('after slow');
    process.kill(firstPid, 'SIGKILL');
    await failure;
    expect(text(await conn.callTool('echo', { text: 'back' }))).toBe('back');
    const secondPid = conn.pid!;
    expect(secondPid).not.toBe(firstPid);
    expect(rec.states()).toEqual(['idle', 'connecting', 'ready', 'reconnecting', 'connecting', 'ready']);
    const lost = rec.ofType('connection.state').find((e) => e.to === 'reconnecting');
    expect(lost?.reason?.code).toBe('PROCESS_EXIT');
    expect(lost?.reason?.message).toMatch(/SIGKILL/);
    await conn.close();
    expect(processAlive(firstPid)).toBe(false);
    expect(processAlive(secondPid)).toBe(false);
  });

  it('a crash mid-call is not retried by default (the tool may have run), but the next call works', async () => {
    const conn = connect();
    await conn.start();
    const rec = record(conn);
    await expect(conn.callTool('crash')).rejects.toMatchObject({
      kind: 'connection',
      code: 'OUTCOME_UNKNOWN',
      message: expect.stringMatching(/"crash" was sent: it may or may not have run/),
    });
    expect(rec.ofType('call.started')).toHaveLength(1);
    expect(text(await conn.callTool('echo', { text: 'ok' }))).toBe('ok');
  });

  it('a hanging tool times out with a TimeoutError naming the tool, and the request is cancelled', async () => {
    const conn = connect();
    await conn.start();
    const error = await conn.callTool('hang', {}, { timeout: 200 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', server: 'fx', retryable: true });
    expect(String((error as Error).message)).toMatch(/hang|200/);
    expect(conn.state).toBe('ready');
    expect(text(await conn.callTool('echo', { text: 'still fine' }))).toBe('still fine');
  });

  it('slow replies within the timeout succeed; beyond it they time out', async () => {
    const conn = connect();
    await conn.start();
    expect(text(await conn.callTool('slow', { ms: 20 }, { timeout: 5_000 }))).toMatch(/slept/);
    await expect(conn.callTool('slow', { ms: 5_000 }, { timeout: 100 })).rejects.toMatchObject({
      kind: 'timeout',
    });
  });

  it('an aborted signal cancels the call with a CancelledError', async () => {
    const conn = connect();
    await conn.start();
    const controller = new AbortController();
    const pending = conn.callTool('hang', {}, { signal: controller.signal });
    const failure = expect(pending).rejects.toMatchObject({ kind: 'cancelled' });
    controller.abort();
    await failure;
  });

  it('isError results come back as results and do not trip the breaker (MCP spec)', async () => {
    const conn = connect([], { breaker: { strategy: { kind: 'consecutive', threshold: 2 } } });
    await conn.start();
    for (let i = 0; i < 4; i++) {
      const result = await conn.callTool('fail', { message: 'nope' });
      expect(result.isError).toBe(true);
    }
    expect(conn.breaker.state).toBe('closed');
  });

  it('with toolErrorsTripBreaker, isError results open the breaker and later calls fail fast', async () => {
    const conn = connect([], {
      breaker: { strategy: { kind: 'consecutive', threshold: 2 } },
      toolErrorsTripBreaker: true,
    });
    const rec = record(conn);
    await conn.start();
    await conn.callTool('fail');
    await conn.callTool('fail');
    expect(conn.breaker.state).toBe('open');
    const rejected = await conn.callTool('echo', { text: 'x' }).catch((e: unknown) => e);
    expect(rejected).toMatchObject({ kind: 'circuitOpen', breakerState: 'open', server: 'fx' });
    expect(rec.ofType('call.rejected')).toHaveLength(1);
    expect(conn.state).toBe('degraded');
  });

  it('a garbage line on stdout is reported and the connection keeps working', async () => {
    const conn = connect();
    await conn.start();
    expect(text(await conn.callTool('garbage'))).toBe('garbage written');
    expect(text(await conn.callTool('echo', { text: 'after' }))).toBe('after');
    expect(conn.state).toBe('ready');
  });

  it('server stderr lines become events', async () => {
    const conn = connect();
    const rec = record(conn);
    await conn.start();
    await conn.callTool('stderr', { line: 'hello from stderr' });
    await expect.poll(() => rec.ofType('server.stderr').map((e) => e.line)).toContain('hello from stderr');
  });

  it('bad tool arguments come back as an isError result from the server (no exception)', async () => {
    const conn = connect();
    await conn.start();
    const result = await conn.callTool('add', { a: 'one', b: 2 });
    expect(result.isError).toBe(true);
  });
});

describe('ServerConnection over stdio: connect faults', () => {
  it('crash-on-connect: start() rejects typed, the actor reconnects with backoff, then fails at the budget', async () => {
    const clock = new SimulatedClock();
    const conn = connect(['crash-on-connect'], {
      clock,
      connection: { maxRestarts: 2, restartWindowMs: 60_000 },
    });
    const rec = record(conn);
    const error = await conn.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'connection', server: 'fx' });
    expect(conn.state).toBe('reconnecting');
    for (let i = 0; i < 5 && conn.state !== 'failed'; i++) {
      const next = reach(conn, 'connecting');
      clock.increment(conn.actor.getSnapshot().context.reconnectDelayMs);
      await next;
      await new Promise<void>((resolve) =>
        conn.state$.subscribe((s) => (s === 'reconnecting' || s === 'failed') && resolve()),
      );
    }
    expect(conn.state).toBe('failed');
    expect(rec.states().filter((s) => s === 'connecting')).toHaveLength(3);
    // A later call tries again with a fresh budget: it triggers a connect and waits for it.
    const call = conn.callTool('echo', { text: 'x' });
    const outcome = expect(call).rejects.toSatisfy(isAzcoreError);
    await reach(conn, 'connecting');
    await conn.close();
    await outcome;
  });

  it('exit-immediately: start() rejects and the reason reaches the stderr events', async () => {
    const conn = connect(['exit-immediately'], { connection: { maxRestarts: 0 } });
    const rec = record(conn);
    await expect(conn.start()).rejects.toMatchObject({ kind: 'connection' });
    expect(conn.state).toBe('failed');
    expect(rec.ofType('server.stderr').length).toBeGreaterThan(0);
  });

  it('hang-on-connect: the connect timeout rejects start() with a TimeoutError', async () => {
    const conn = new ServerConnection({
      config: {
        name: 'slowpoke',
        transport: 'stdio',
        ...stdioFixture({ faults: ['hang-on-connect'] }),
        connectTimeoutMs: 300,
      },
      logger: quietLogger,
      connection: { maxRestarts: 0 },
    });
    open.push(conn);
    await expect(conn.start()).rejects.toMatchObject({ kind: 'timeout', server: 'slowpoke' });
    expect(conn.state).toBe('failed');
  });

  it('bad-protocol-version: a permanent ProtocolError, straight to failed (no restart storm)', async () => {
    const conn = connect(['bad-protocol-version']);
    const rec = record(conn);
    await expect(conn.start()).rejects.toMatchObject({
      kind: 'protocol',
      code: 'PROTOCOL_VERSION',
      retryable: false,
    });
    expect(rec.states()).toEqual(['idle', 'connecting', 'failed']);
  });

  it('a missing binary: ConnectionError ENOENT that says what to fix, straight to failed', async () => {
    const conn = new ServerConnection({
      config: { name: 'ghost', transport: 'stdio', command: '/nonexistent/mcp-server' },
      logger: quietLogger,
    });
    open.push(conn);
    const error = await conn.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'connection', code: 'ENOENT', server: 'ghost', retryable: false });
    expect(String((error as Error).message)).toMatch(/command/);
    expect(conn.state).toBe('failed');
  });

  it('a malformed config is a ConfigurationError naming the field', () => {
    expect(
      () =>
        new ServerConnection({
          config: { name: 'bad', transport: 'stdio', command: '' },
          logger: quietLogger,
        }),
    ).toThrow(expect.objectContaining({ kind: 'configuration', message: expect.stringMatching(/command/) }));
  });

  it('close() is idempotent and later calls fail with a typed CLOSED error', async () => {
    const conn = connect();
    await conn.start();
    const pid = conn.pid!;
    await Promise.all([conn.close(), conn.close()]);
    expect(conn.state).toBe('closed');
    expect(processAlive(pid)).toBe(false);
    await expect(conn.callTool('echo', { text: 'x' })).rejects.toMatchObject({
      kind: 'connection',
      code: 'CLOSED',
    });
  });

  it('calls made while reconnecting wait for the new connection; they give up at their deadline', async () => {
    const clock = new SimulatedClock();
    const conn = connect([], { clock });
    await conn.start();
    process.kill(conn.pid!, 'SIGKILL');
    await reach(conn, 'reconnecting');
    const waiting = conn.callTool('echo', { text: 'patient' }, { timeout: 60_000 });
    const impatient = conn.callTool('echo', { text: 'impatient' }, { timeout: 100 });
    const gaveUp = expect(impatient).rejects.toMatchObject({ kind: 'timeout', step: 'echo' });
    clock.increment(100);
    await gaveUp;
    expect(conn.state).toBe('reconnecting');
    clock.increment(conn.actor.getSnapshot().context.reconnectDelayMs);
    expect(text(await waiting)).toBe('patient');
  });
});

describe('ServerConnection: observation and cleanup', () => {
  it('the inspect option receives XState inspection events of the connection and breaker actors', async () => {
    const seen = new Set<string>();
    const conn = connect([], { inspect: (e) => seen.add(e.type) });
    await conn.start();
    expect(seen).toContain('@xstate.actor');
    expect(seen).toContain('@xstate.snapshot');
    expect(seen).toContain('@xstate.event');
  });

  it('leaves no child process, handle or listener behind after close()', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    const conn = connect();
    const rec = record(conn);
    await conn.start();
    await conn.callTool('echo', { text: 'x' });
    const pid = conn.pid!;
    await conn.close();
    rec.stop();
    expect(processAlive(pid)).toBe(false);
    await expect
      .poll(() => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'Timeout').length)
      .toBeLessThanOrEqual(before.filter((r) => r !== 'Timeout').length);
    expect(conn.actor.getSnapshot().status).toBe('done');
    expect(conn.breaker.actor.getSnapshot().status).toBe('stopped');
  });
});
