import { createServer } from 'node:net';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { filter, firstValueFrom, type Subscription } from 'rxjs';
import { SimulatedClock } from 'xstate';
import { ServerConnection, type ServerConnectionOptions } from '../../src/actors/ServerConnection.js';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import { type AzcoreError, isAzcoreError } from '../../src/errors/AzcoreError.js';
import type { ConnectionStateName, RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { seededRandom } from '../../src/resilience/backoff.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import {
  type HttpFixture,
  startHttpFixture,
  startV2HttpFixture,
  stdioFixture,
  v2StdioFixture,
} from '../fixtures/index.js';
import type { CallRecord, ChaosEra, TransportName } from './results.js';

/** How far past its deadline a call may settle: event-loop lag on a loaded 2-core CI machine. */
export const SLACK_MS = 1_000;
/** Longest a cell waits for a state before it reports where the connection is instead. */
const STATE_LIMIT_MS = 15_000;
/** Connect budget: a node boot plus the SDK import, with room for a loaded CI machine. */
const CONNECT_TIMEOUT_MS = 10_000;

/** States the connection rests in (no I/O of its own in flight). */
const RESTING: readonly ConnectionStateName[] = [
  'ready',
  'degraded',
  'reconnecting',
  'failed',
  'authFailed',
  'closed',
];

export type Settled<T> =
  | { ok: true; value: T; elapsedMs: number }
  | { ok: false; error: AzcoreError; elapsedMs: number };

export interface ServerOptions {
  faults?: string[];
  /** HTTP: a fixture of its own, for cells that crash or restart the server (default: the shared one). */
  own?: boolean;
  /** The transport's message cap (every transport). */
  maxMessageBytes?: number;
  connectTimeoutMs?: number;
}

/** A port that was just free on 127.0.0.1 and has nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * One cell of the chaos matrix: starts servers and connections for one transport, records every
 * call and state, checks each call's settle time against its deadline, and cleans up.
 */
export class Cell {
  readonly calls: CallRecord[] = [];
  readonly notes: string[] = [];
  /** Rejections that were not AzcoreErrors. */
  readonly untyped: string[] = [];
  /** Calls that settled later than deadline + slack. */
  readonly late: string[] = [];
  /** Expected states that were not reached. */
  readonly stateMisses: string[] = [];
  readonly clock: SimulatedClock | undefined;
  /** The era the cell's servers speak (2026: SDK v2 fixtures serving only 2026-07-28). */
  readonly era: ChaosEra;
  fixture: HttpFixture | undefined;
  readonly #shared: HttpFixture | undefined;
  readonly #connections: ServerConnection[] = [];
  readonly #fixtures: HttpFixture[] = [];
  readonly #states = new Map<ServerConnection, string[]>();
  readonly #subscriptions: Subscription[] = [];

  constructor(
    readonly transport: TransportName,
    options: { simulatedClock?: boolean; shared?: HttpFixture | undefined; era?: ChaosEra } = {},
  ) {
    this.era = options.era ?? '2025';
    this.clock = options.simulatedClock ? new SimulatedClock() : undefined;
    this.#shared = options.shared;
  }

  /**
   * A server config for this cell's transport. HTTP transports use the matrix's shared fixture
   * process unless the cell needs faults or its own process (starting one costs a node boot).
   */
  async server(options: ServerOptions = {}): Promise<ServerConfig> {
    const common = { name: 'chaos', connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS };
    if (this.transport === 'stdio') {
      return {
        ...common,
        transport: 'stdio',
        ...(this.era === '2026'
          ? v2StdioFixture({ era: '2026', faults: options.faults ?? [] })
          : stdioFixture({ faults: options.faults ?? [] })),
        ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {}),
      };
    }
    const ownProcess = options.own === true || (options.faults ?? []).length > 0 || !this.#shared;
    const faults = options.faults ?? [];
    const fixture = ownProcess
      ? this.era === '2026'
        ? await startV2HttpFixture({ era: '2026', faults })
        : await startHttpFixture({ faults })
      : this.#shared;
    if (!fixture) throw new Error('no fixture');
    this.fixture = fixture;
    if (ownProcess) this.#fixtures.push(fixture);
    const cap = options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {};
    return this.transport === 'sse'
      ? { ...common, ...cap, transport: 'sse', url: fixture.sseUrl.href }
      : { ...common, ...cap, transport: 'streamableHttp', url: fixture.url.href };
  }

  /** A server config whose endpoint refuses connections (stdio: a command that does not exist). */
  async refusingServer(): Promise<ServerConfig> {
    const common = { name: 'chaos', connectTimeoutMs: CONNECT_TIMEOUT_MS };
    if (this.transport === 'stdio') {
      return { ...common, transport: 'stdio', command: '/nonexistent/azcore-chaos-server' };
    }
    const base = `http://127.0.0.1:${await closedPort()}`;
    return this.transport === 'sse'
      ? { ...common, transport: 'sse', url: `${base}/sse` }
      : { ...common, transport: 'streamableHttp', url: `${base}/mcp` };
  }

  /** A ServerConnection with quiet logs, small backoff, no keepalive, this cell's clock. */
  connect(config: ServerConfig, extra: Partial<ServerConnectionOptions> = {}): ServerConnection {
    const conn = new ServerConnection({
      config,
      logger: quietLogger,
      random: seededRandom(7), // every run takes the same backoff delays
      ...(this.clock ? { clock: this.clock } : {}),
      ...extra,
      connection: { pingIntervalMs: 0, backoffBaseMs: 10, backoffMaxMs: 50, ...extra.connection },
    });
    this.#connections.push(conn);
    const states = ['idle'];
    this.#states.set(conn, states);
    this.#subscriptions.push(conn.state$.subscribe((s) => states.push(s)));
    return conn;
  }

  /** Events of `conn` from now on. */
  events(conn: ServerConnection): RuntimeEvent[] {
    const events: RuntimeEvent[] = [];
    this.#subscriptions.push(conn.events$.subscribe((e) => events.push(e)));
    return events;
  }

  states(conn: ServerConnection): string[] {
    return this.#states.get(conn) ?? [];
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** `conn.start()`, recorded like a call (its budget is the connect timeout). */
  async start(conn: ServerConnection, budgetMs = CONNECT_TIMEOUT_MS): Promise<AzcoreError | undefined> {
    const settled = await this.#settle('start()', budgetMs, () => conn.start());
    if (!settled.ok) return settled.error;
    // Every cell that connects also proves the era was negotiated as the column says.
    const era = conn.protocol?.era;
    const expected = this.era === '2026' ? 'modern' : 'legacy';
    if (era !== expected)
      throw new Error(`negotiated era ${era ?? 'none'}, expected ${expected} (${this.era})`);
    return undefined;
  }

  /** `conn.callTool(tool, args, { timeout })`, recorded with its outcome and settle time. */
  call(
    conn: ServerConnection,
    tool: string,
    args: Record<string, unknown> = {},
    timeoutMs = 5_000,
  ): Promise<Settled<CallToolResult>> {
    return this.#settle(tool, timeoutMs, () => conn.callTool(tool, args, { timeout: timeoutMs }));
  }

  async #settle<T>(what: string, budgetMs: number, run: () => Promise<T>): Promise<Settled<T>> {
    const started = performance.now();
    let settled: Settled<T>;
    try {
      const value = await run();
      settled = { ok: true, value, elapsedMs: performance.now() - started };
    } catch (e) {
      const elapsedMs = performance.now() - started;
      if (!isAzcoreError(e)) {
        this.untyped.push(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        throw e;
      }
      settled = { ok: false, error: e, elapsedMs };
    }
    const elapsedMs = Math.round(settled.elapsedMs);
    if (elapsedMs > budgetMs + SLACK_MS)
      this.late.push(`${what}: ${elapsedMs} ms > ${budgetMs} + ${SLACK_MS}`);
    const value = settled.ok ? (settled.value as { isError?: unknown } | undefined) : undefined;
    const outcome = settled.ok
      ? value?.isError === true
        ? 'isError result'
        : 'ok'
      : `${settled.error.name} ${settled.error.code}`;
    this.calls.push({ what, outcome, elapsedMs, budgetMs });
    return settled;
  }

  /**
   * Waits (on state events) until `conn` is in one of `states`. Gives up after a bound and reports
   * the state it is in, so a wrong state fails the cell with a message instead of a test timeout.
   */
  async reach(
    conn: ServerConnection,
    states: ConnectionStateName | ConnectionStateName[],
    limitMs = STATE_LIMIT_MS,
  ): Promise<ConnectionStateName> {
    const wanted = Array.isArray(states) ? states : [states];
    if (wanted.includes(conn.state)) return conn.state;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'gave up'>((resolve) => {
      timer = setTimeout(() => resolve('gave up'), limitMs);
    });
    try {
      const reached = await Promise.race([
        firstValueFrom(conn.state$.pipe(filter((s) => wanted.includes(s))), { defaultValue: conn.state }),
        gaveUp,
      ]);
      if (reached === 'gave up' || !wanted.includes(reached)) {
        const miss = `expected ${wanted.join('|')}, still ${conn.state} after ${limitMs} ms`;
        this.stateMisses.push(miss);
        throw new Error(miss);
      }
      return reached;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asserts the current state, recording a miss. */
  expectState(conn: ServerConnection, state: ConnectionStateName): void {
    if (conn.state !== state) {
      const miss = `expected ${state}, got ${conn.state}`;
      this.stateMisses.push(miss);
      throw new Error(miss);
    }
  }

  /**
   * With the simulated clock: lets each pending reconnect delay elapse until `conn` rests in
   * `target`. `between` runs whenever the connection waits to reconnect (e.g. restart a server).
   */
  async advanceTo(
    conn: ServerConnection,
    target: ConnectionStateName,
    between: () => Promise<void> = async () => {},
  ): Promise<void> {
    const clock = this.clock;
    if (!clock) throw new Error('advanceTo needs the simulated clock');
    for (let step = 0; step < 20; step++) {
      const state = await this.reach(conn, [...RESTING]);
      if (state === target) return;
      if (state !== 'reconnecting') {
        const miss = `expected ${target}, came to rest in ${state}`;
        this.stateMisses.push(miss);
        throw new Error(miss);
      }
      await between();
      const left = this.reach(conn, ['connecting', ...RESTING.filter((s) => s !== 'reconnecting')]);
      clock.increment(conn.actor.getSnapshot().context.reconnectDelayMs);
      await left;
    }
    throw new Error(`${target} not reached after 20 reconnect delays`);
  }

  /** States of the cell's first connection (the one under test). */
  statesOfFirst(): string[] {
    const first = this.#connections[0];
    return first ? [...this.states(first)] : [];
  }

  /** Final state of every connection, before cleanup. */
  finalStates(): string[] {
    return this.#connections.map((c) => c.state);
  }

  /** Closes every connection, stops every fixture this cell started, resets the shared one. */
  async cleanup(): Promise<void> {
    await Promise.all(this.#connections.map((c) => c.close()));
    for (const s of this.#subscriptions) s.unsubscribe();
    await Promise.all(this.#fixtures.map((f) => f.stop()));
    if (this.fixture === this.#shared) await this.#shared?.admin('reset');
  }
}
