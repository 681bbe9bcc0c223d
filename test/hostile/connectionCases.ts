// Hostile classes about the connection: floods, application errors, session expiry, huge results,
// handshakes, silent endpoints, secrets, close(), restored breakers and timer overflow.
import { createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { expect } from 'vitest';
import { SimulatedClock, type Snapshot } from 'xstate';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import type { ServerConnection } from '../../src/actors/ServerConnection.js';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import { ResourceError } from '../../src/errors/ResourceError.js';
import { createLogger } from '../../src/observe/logger.js';
import { closedPort } from '../chaos/cell.js';
import { startHttpFixture, stdioFixture } from '../fixtures/index.js';
import {
  connection,
  HEALTHY_CALL_MS,
  healthyMeanwhile,
  healthyOn,
  hostileConfig,
  LOOP_STALL_LIMIT_MS,
  sharedBus,
} from './servers.js';
import type { HostileClass } from './toolCases.js';

const text = (r: { content: unknown[] }) => (r.content[0] as { text?: string } | undefined)?.text;

/** A logger keeping its lines as text. */
function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

/** Resolves once `n` calls of `conn` have started (events, not time). */
const started = (conn: ServerConnection, n: number) =>
  firstValueFrom(
    conn.events$.pipe(
      filter((e) => e.type === 'call.started'),
      take(n),
      toArray(),
    ),
  );

function savedOpenBreaker(): Record<string, unknown> & { context: Record<string, unknown> } {
  const clock = new SimulatedClock();
  clock.set(1_000);
  const breaker = new CircuitBreaker({
    id: 'b',
    strategy: { kind: 'consecutive', threshold: 1 },
    resetTimeoutMs: 30_000,
    clock,
  });
  const permit = breaker.acquire();
  if (isCircuitOpenError(permit)) throw permit;
  permit.failure();
  const saved = JSON.parse(JSON.stringify(breaker.getPersistedSnapshot()));
  breaker.stop();
  return saved;
}

export const CONNECTION_CLASSES: HostileClass[] = [
  {
    id: 'log-progress-flood',
    label: '10,000 log + 10,000 progress notifications',
    run: async (c) => {
      const { bus } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const { logger, lines } = capturingLogger();
      const hostile = connection(c, hostileConfig('notification-flood'), { bus, logger });
      await hostile.start();
      // Two bursts, as a hostile server sends them: 10,000 log messages, then 10,000 progress.
      const flood = c.settle('log+progress flood', 20_000, async () => {
        for (const kind of ['log', 'progress'])
          await hostile.callTool('flood', { count: 10_000, kind }, { timeout: 20_000 });
        return 'flooded 20000';
      });
      const settled = await c.loopDelay('flood', () => healthyMeanwhile(c, healthy, flood));
      expect(settled.ok).toBe(true);
      c.measure('flood ms', settled.elapsedMs);
      c.measure('log lines for 20,000 notifications', lines.length);
      // 20 lines per channel per second, plus one summary per window.
      expect(lines.length).toBeLessThanOrEqual(2 * 21 * Math.ceil(settled.elapsedMs / 1_000 + 1));
      expect(c.measured['flood longest stall CPU ms']).toBeLessThan(LOOP_STALL_LIMIT_MS);
    },
  },
  {
    id: 'app-error-32000',
    label: 'application error -32000, 6 times',
    run: async (c) => {
      const { bus, events } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const hostile = connection(c, hostileConfig('app-error'), {
        bus,
        breaker: { strategy: { kind: 'consecutive', threshold: 3 } },
      });
      await hostile.start();
      const kinds: string[] = [];
      for (let i = 0; i < 6; i++) {
        const s = await c.settle('refuse', 5_000, () => hostile.callTool('refuse', {}, { timeout: 5_000 }));
        kinds.push(s.ok ? 'ok' : s.error.kind);
      }
      await c.healthy('echo', HEALTHY_CALL_MS, () => healthy.callTool('echo', { text: 'ok' }));
      c.measure('error kinds', [...new Set(kinds)].join(', '));
      const states = events.filter((e) => e.type === 'connection.state' && e.server === 'hostile').length;
      c.measure('hostile state changes after start', states - 2);
      expect(kinds).toEqual(Array(6).fill('tool'));
      expect(hostile.breaker.state).toBe('closed');
      expect(hostile.state).toBe('ready');
      expect(events.some((e) => e.type === 'breaker.transition')).toBe(false);
    },
  },
  {
    id: 'session-expiry-404',
    label: '404 session expiry with 5 calls in flight',
    run: async (c) => {
      const { bus, events } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const fx = await startHttpFixture();
      c.onCleanup(() => fx.stop());
      const hostile = connection(
        c,
        { name: 'hostile', transport: 'streamableHttp', url: fx.url.href, connectTimeoutMs: 5_000 },
        { bus, retry: { idempotent: true } },
      );
      await hostile.start();
      const inFlight = started(hostile, 5);
      const calls = [1, 2, 3, 4, 5].map((i) =>
        c.settle('slow', 5_000, () => hostile.callTool('slow', { ms: 300 + i }, { timeout: 5_000 })),
      );
      await inFlight;
      await fx.admin('/__admin/expire-sessions');
      const settled = await healthyMeanwhile(c, healthy, Promise.all(calls));
      expect(settled.map((s) => (s.ok ? text(s.value) : s.error.code))).toEqual(
        [301, 302, 303, 304, 305].map((ms) => `slept ${ms}`),
      );
      c.measure('slowest expired call ms', Math.max(...settled.map((s) => s.elapsedMs)));
      expect(hostile.breaker.state).toBe('closed');
      expect(events.some((e) => e.type === 'call.rejected')).toBe(false);
    },
  },
  {
    id: 'huge-result-http',
    label: '200 MB result over Streamable HTTP',
    timeoutMs: 60_000,
    run: async (c) => {
      const { bus } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const fx = await startHttpFixture();
      c.onCleanup(() => fx.stop());
      const hostile = connection(
        c,
        {
          name: 'hostile',
          transport: 'streamableHttp',
          url: fx.url.href,
          connectTimeoutMs: 5_000,
          maxMessageBytes: 256 * 1024,
        },
        { bus },
      );
      await hostile.start();
      const base = process.memoryUsage();
      let peak = 0;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers);
      }, 20);
      const huge = c.settle('big 200 MB', 30_000, () =>
        hostile.callTool('big', { bytes: 200 * 1024 * 1024 }, { timeout: 30_000 }),
      );
      const settled = await healthyMeanwhile(c, healthy, huge).finally(() => clearInterval(sampler));
      c.measure('peak heap + buffers growth MB', peak / 1024 / 1024);
      c.measure('200 MB call ms', settled.elapsedMs);
      expect(settled.ok ? 'ok' : settled.error).toBeInstanceOf(ResourceError);
      expect(settled.ok ? '' : settled.error.code).toBe('RESULT_TOO_LARGE');
      expect(peak / 1024 / 1024).toBeLessThan(64);
      expect(hostile.breaker.state).toBe('closed');
      expect(text(await hostile.callTool('echo', { text: 'after' }))).toBe('after');
    },
  },
  {
    id: 'huge-protocol-version',
    label: '1 MB `protocolVersion` in the initialize result',
    run: async (c) => {
      const { bus, events } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const { logger, lines } = capturingLogger();
      const hostile = connection(c, hostileConfig('huge-protocol-version'), {
        bus,
        logger,
        connection: { maxRestarts: 0 },
      });
      const start = c.settle('start()', 5_000, () => hostile.start());
      const settled = await healthyMeanwhile(c, healthy, start);
      expect(settled.ok).toBe(false);
      const error = settled.ok ? undefined : settled.error;
      const message = error?.message ?? '';
      const eventChars = Math.max(0, ...events.map((e) => JSON.stringify(e).length));
      const logChars = Math.max(0, ...lines.map((l) => l.length));
      c.measure('error', `${error?.name} ${error?.code}`);
      c.measure('error message chars', message.length);
      c.measure('JSON error chars', JSON.stringify(error?.toJSON() ?? {}).length);
      c.measure('largest event chars', eventChars);
      c.measure('largest log line chars', logChars);
      expect(message.length).toBeLessThan(2_000);
      expect(JSON.stringify(error?.toJSON() ?? {}).length).toBeLessThan(10_000);
      expect(eventChars).toBeLessThan(10_000);
      expect(logChars).toBeLessThan(10_000);
    },
  },
  {
    id: 'sse-silent',
    label: 'SSE connect that never answers',
    run: async (c) => {
      const sockets = new Set<Socket>();
      const closed: Promise<unknown>[] = [];
      const silent = createServer((socket) => {
        sockets.add(socket);
        closed.push(new Promise((resolve) => socket.once('close', resolve)));
        socket.on('data', () => {}); // reads the GET, answers nothing (a paused socket never sees its end)
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      c.onCleanup(
        () =>
          new Promise<void>((resolve) => {
            for (const s of sockets) s.destroy();
            silent.close(() => resolve());
          }),
      );
      const { port } = silent.address() as { port: number };
      const { bus } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const hostile = connection(
        c,
        { name: 'hostile', transport: 'sse', url: `http://127.0.0.1:${port}/sse`, connectTimeoutMs: 500 },
        { bus, connection: { maxRestarts: 0 } },
      );
      const settled = await healthyMeanwhile(
        c,
        healthy,
        c.settle('start()', 500, () => hostile.start()),
      );
      expect(settled.ok ? 'ok' : settled.error.kind).toBe('timeout');
      await hostile.close();
      // The client's side of each socket closes a few turns after close(): wait for the close events,
      // and give up after a bound so a leak fails the case instead of the test timeout.
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(closed),
        new Promise((resolve) => {
          bound = setTimeout(resolve, 3_000);
        }),
      ]);
      clearTimeout(bound);
      c.measure('GET /sse connections accepted', closed.length);
      c.measure('sockets left open by the client', sockets.size);
      expect(sockets.size).toBe(0);
    },
  },
  {
    id: 'secrets',
    label: 'secrets in stderr and in URLs',
    run: async (c) => {
      const KEY = 'HOSTILE-SECRET-4242';
      const PW = 'HOSTILE-PW-7';
      const { bus, events } = sharedBus(c);
      const { logger, lines } = capturingLogger();
      const healthy = await healthyOn(c, bus);
      const hostile = connection(c, hostileConfig('leak-secrets', { env: { API_KEY: KEY } } as never), {
        bus,
        logger,
      });
      await hostile.start();
      const echoed = firstValueFrom(
        bus.events$.pipe(filter((e) => e.type === 'server.stderr' && e.line.startsWith('key='))),
      );
      await hostile.callTool('leak', {});
      await echoed;
      const dead = await closedPort();
      const url = `http://agent:${PW}@127.0.0.1:${dead}/mcp?token=${KEY}&api_key=${KEY}`;
      const web = connection(
        c,
        { name: 'web', transport: 'streamableHttp', url, connectTimeoutMs: 2_000 },
        {
          bus,
          logger,
          connection: { maxRestarts: 0 },
        },
      );
      const failed = await c.settle('start() dead URL', 2_000, () => web.start());
      await c.healthy('echo', HEALTHY_CALL_MS, () => healthy.callTool('echo', { text: 'ok' }));
      const channels = [
        ...events.map((e) => JSON.stringify(e)),
        ...lines,
        ...(failed.ok
          ? []
          : [failed.error.message, JSON.stringify(failed.error.toJSON()), failed.error.stack ?? '']),
      ];
      c.measure('texts checked (events, log lines, error)', channels.length);
      const leaks = channels.filter((t) => t.includes(KEY) || t.includes(PW));
      c.measure('texts with a secret', leaks.length);
      expect(leaks.map((t) => t.slice(0, 200))).toEqual([]);
      expect(events.some((e) => e.type === 'server.stderr' && e.line === 'key=[redacted]')).toBe(true);
    },
  },
  {
    id: 'close-in-flight',
    label: 'close() during in-flight calls',
    run: async (c) => {
      const { bus, events } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const hostile = connection(
        c,
        { name: 'hostile', transport: 'stdio', ...stdioFixture() },
        {
          bus,
          breaker: { strategy: { kind: 'consecutive', threshold: 2 } },
        },
      );
      await hostile.start();
      const inFlight = started(hostile, 5);
      const calls = [1, 2, 3, 4, 5].map(() =>
        c.settle('hang', 10_000, () => hostile.callTool('hang', {}, { timeout: 10_000 })),
      );
      await inFlight;
      const closing = performance.now();
      await hostile.close();
      const settled = await Promise.all(calls);
      c.measure('close() to every call settled ms', performance.now() - closing);
      await c.healthy('echo', HEALTHY_CALL_MS, () => healthy.callTool('echo', { text: 'ok' }));
      for (const s of settled) expect(s.ok ? 'ok' : s.error).toBeInstanceOf(CancelledError);
      expect(hostile.breaker.state).toBe('closed');
      expect(events.some((e) => e.type === 'breaker.transition')).toBe(false);
    },
  },
  {
    id: 'restored-breaker',
    label: 'restored breaker snapshot: wrong types, future openedAt',
    run: async (c) => {
      const { bus } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const saved = savedOpenBreaker();
      const bad = {
        'openedAt "abc"': { ...saved, context: { ...saved.context, openedAt: 'abc' } },
        'openedAt 3 days ahead': {
          ...saved,
          context: { ...saved.context, openedAt: Date.now() + 3 * 86_400_000 },
        },
        'value 42': { ...saved, value: 42 },
      };
      const refused: string[] = [];
      for (const [what, snapshot] of Object.entries(bad)) {
        let error: unknown;
        try {
          const conn = connection(c, hostileConfig('app-error'), {
            bus,
            breaker: {
              strategy: { kind: 'consecutive', threshold: 1 },
              snapshot: snapshot as unknown as Snapshot<unknown>,
            },
          });
          await conn.start();
          await conn.callTool('refuse', {}).catch(() => undefined);
        } catch (e) {
          error = e;
        }
        expect(error, what).toBeInstanceOf(ConfigurationError);
        refused.push(what);
      }
      c.measure('snapshots refused with ConfigurationError', refused.join('; '));
      await c.healthy('echo', HEALTHY_CALL_MS, () => healthy.callTool('echo', { text: 'ok' }));
    },
  },
  {
    id: 'timer-overflow',
    label: 'timeouts of 2^31 ms',
    run: async (c) => {
      const { bus } = sharedBus(c);
      const healthy = await healthyOn(c, bus);
      const hostile = connection(c, { name: 'hostile', transport: 'stdio', ...stdioFixture() }, { bus });
      await hostile.start();
      const over = await c.settle('hang 2^31', 100, () => hostile.callTool('hang', {}, { timeout: 2 ** 31 }));
      expect(over.ok ? 'ok' : over.error).toBeInstanceOf(ConfigurationError);
      let connectError: unknown;
      try {
        const conn = connection(c, { ...hostileConfig('app-error'), connectTimeoutMs: 2 ** 31 }, { bus });
        await conn.start();
      } catch (e) {
        connectError = e;
      }
      expect(connectError).toBeInstanceOf(ConfigurationError);
      // The longest timer runs normally: a hanging call with it is still pending after other calls.
      let longSettled = false;
      const longest = hostile.callTool('hang', {}, { timeout: 2 ** 31 - 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      void longest.then(() => {
        longSettled = true;
      });
      await c.healthy('echo', HEALTHY_CALL_MS, () => healthy.callTool('echo', { text: 'ok' }));
      expect(text(await hostile.callTool('echo', { text: 'x' }, { timeout: 2 ** 31 - 1 }))).toBe('x');
      c.measure('2^31-1 ms call settled before close', String(longSettled));
      expect(longSettled).toBe(false);
      await hostile.close();
      expect(await longest).toBeInstanceOf(CancelledError);
    },
  },
];
