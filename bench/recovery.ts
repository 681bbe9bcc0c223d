// Section 3: detection and recovery of a killed stdio server and a stopped HTTP server (wall clock).
import { filter, firstValueFrom } from 'rxjs';
import { ServerConnection } from '../src/actors/ServerConnection.js';
import type { ConnectionStateName } from '../src/events/RuntimeEvent.js';
import { createLogger } from '../src/observe/logger.js';
import { startHttpFixture, stdioFixture, stopAllFixtures } from '../test/fixtures/index.js';
import type { BenchConfig } from './lib/config.js';
import { pause, type Spread, summarize, within } from './lib/stats.js';

/** Reconnect and keepalive settings of both scenarios; the doc reports the figures against them. */
export const RECOVERY_SETTINGS = {
  backoffBaseMs: 100,
  backoffMaxMs: 500,
  pingIntervalMs: 200,
  pingTimeoutMs: 150,
  maxMissedPings: 2,
  /** Budget of the call made while reconnecting (it waits for the connection, within this). */
  waitingCallTimeoutMs: 10_000,
  /** Budget of a second call made while reconnecting, to show a wait is bounded by the deadline. */
  shortCallTimeoutMs: 50,
} as const;

export interface StdioRecoveryRun {
  /** SIGKILL -> the connection leaves `ready`. */
  leaveReadyMs: number;
  /** SIGKILL -> the call in flight at the time rejects. */
  inFlightRejectMs: number;
  inFlightError: string;
  /** SIGKILL -> a call made once the loss is known (while reconnecting) succeeds: it waited. */
  waitingCallOkMs: number;
  /** SIGKILL -> a call with a 50 ms budget made at the same moment gives up. */
  shortCallSettledMs: number;
  shortCallError: string;
  /** SIGKILL -> `ready` again (a new process, initialized). */
  readyAgainMs: number;
}

export interface HttpRecoveryRun {
  /** kill() -> the process has exited (the port is closed). */
  exitMs: number;
  /** kill() -> first missed ping (leaves `ready`, i.e. `degraded` or `reconnecting`). */
  detectedMs: number;
  /** kill() -> `reconnecting` (maxMissedPings misses, or a refused ping). */
  lostMs: number;
  /** Server listening again -> the next call (made at that moment, waiting) succeeds. */
  callOkAfterBackMs: number;
  /** Server listening again -> `ready`. */
  readyAfterBackMs: number;
  /** States seen from the kill to ready. */
  path: ConnectionStateName[];
}

export interface RecoveryResult {
  settings: typeof RECOVERY_SETTINGS;
  stdio: { runs: StdioRecoveryRun[]; summary: Record<string, Spread> };
  http: { runs: HttpRecoveryRun[]; summary: Record<string, Spread> };
}

const silent = createLogger({ level: 'silent' });

function whenState(conn: ServerConnection, wanted: (s: ConnectionStateName) => boolean): Promise<number> {
  if (wanted(conn.state)) return Promise.resolve(performance.now());
  return firstValueFrom(conn.state$.pipe(filter(wanted))).then(() => performance.now());
}

function errorName(e: unknown): string {
  if (e && typeof e === 'object' && 'kind' in e && 'code' in e) return `${String(e.kind)}/${String(e.code)}`;
  return e instanceof Error ? e.name : String(e);
}

function settle(p: Promise<unknown>): Promise<{ at: number; error: string }> {
  return p.then(
    () => ({ at: performance.now(), error: 'none (succeeded)' }),
    (e: unknown) => ({ at: performance.now(), error: errorName(e) }),
  );
}

async function stdioRun(): Promise<StdioRecoveryRun> {
  const s = RECOVERY_SETTINGS;
  const conn = new ServerConnection({
    config: { name: 'stdio', transport: 'stdio', ...stdioFixture(), connectTimeoutMs: 5_000 },
    logger: silent,
    connection: { backoffBaseMs: s.backoffBaseMs, backoffMaxMs: s.backoffMaxMs, maxRestarts: 100 },
  });
  try {
    await conn.start();
    await conn.callTool('echo', { text: 'warm' });
    const pid = conn.pid;
    if (pid === undefined) throw new Error('no pid');
    const inFlight = settle(conn.callTool('slow', { ms: 10_000 }));
    await pause(20); // the request is on the wire
    const left = whenState(conn, (st) => st !== 'ready');
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    const leftAt = await left;
    const readyAgain = whenState(conn, (st) => st === 'ready');
    const waiting = settle(conn.callTool('echo', { text: 'back' }, { timeout: s.waitingCallTimeoutMs }));
    const short = settle(conn.callTool('echo', { text: 'short' }, { timeout: s.shortCallTimeoutMs }));
    const [flight, ok, bounded, readyAt] = await within(
      Promise.all([inFlight, waiting, short, readyAgain]),
      20_000,
      'stdio recovery',
    );
    if (ok.error !== 'none (succeeded)') throw new Error(`the waiting call failed: ${ok.error}`);
    return {
      leaveReadyMs: leftAt - t0,
      inFlightRejectMs: flight.at - t0,
      inFlightError: flight.error,
      waitingCallOkMs: ok.at - t0,
      shortCallSettledMs: bounded.at - t0,
      shortCallError: bounded.error,
      readyAgainMs: readyAt - t0,
    };
  } finally {
    await conn.close();
  }
}

async function httpRun(fx: Awaited<ReturnType<typeof startHttpFixture>>): Promise<HttpRecoveryRun> {
  const s = RECOVERY_SETTINGS;
  const conn = new ServerConnection({
    config: { name: 'http', transport: 'streamableHttp', url: fx.url.href, connectTimeoutMs: 5_000 },
    logger: silent,
    connection: {
      pingIntervalMs: s.pingIntervalMs,
      pingTimeoutMs: s.pingTimeoutMs,
      maxMissedPings: s.maxMissedPings,
      backoffBaseMs: s.backoffBaseMs,
      backoffMaxMs: s.backoffMaxMs,
      maxRestarts: 100,
    },
  });
  const path: ConnectionStateName[] = [];
  try {
    await conn.start();
    await conn.callTool('echo', { text: 'warm' });
    // Start the outage at a random phase of the ping period, as a real crash would.
    await pause(s.pingIntervalMs + Math.random() * s.pingIntervalMs);
    const sub = conn.state$.subscribe((st) => path.push(st));
    const detected = whenState(conn, (st) => st !== 'ready');
    const lost = whenState(conn, (st) => st === 'reconnecting' || st === 'failed');
    const t0 = performance.now();
    await fx.kill();
    const exitAt = performance.now();
    const [detectedAt, lostAt] = await within(Promise.all([detected, lost]), 10_000, 'http detection');
    await fx.restart();
    const back = performance.now();
    const readyAgain = whenState(conn, (st) => st === 'ready');
    const ok = await settle(conn.callTool('echo', { text: 'back' }, { timeout: s.waitingCallTimeoutMs }));
    if (ok.error !== 'none (succeeded)') throw new Error(`the call after restart failed: ${ok.error}`);
    const readyAt = await within(readyAgain, 10_000, 'http ready');
    sub.unsubscribe();
    return {
      exitMs: exitAt - t0,
      detectedMs: detectedAt - t0,
      lostMs: lostAt - t0,
      callOkAfterBackMs: ok.at - back,
      readyAfterBackMs: readyAt - back,
      path: path.filter((st, i) => st !== path[i - 1]),
    };
  } finally {
    await conn.close();
  }
}

function summaries<T extends object>(runs: T[]): Record<string, Spread> {
  const out: Record<string, Spread> = {};
  const first = runs[0];
  if (!first) return out;
  for (const [key, value] of Object.entries(first)) {
    if (typeof value !== 'number') continue;
    out[key] = summarize(runs.map((r) => (r as Record<string, unknown>)[key] as number));
  }
  return out;
}

export async function run(config: BenchConfig, log: (line: string) => void): Promise<RecoveryResult> {
  const stdioRuns: StdioRecoveryRun[] = [];
  for (let i = 0; i < config.recoveryRuns; i++) {
    const r = await stdioRun();
    stdioRuns.push(r);
    log(
      `  stdio ${i + 1}: leave ready ${r.leaveReadyMs.toFixed(1)} ms, in-flight rejected ${r.inFlightRejectMs.toFixed(1)} ms (${r.inFlightError}), waiting call ok ${r.waitingCallOkMs.toFixed(0)} ms`,
    );
  }
  const httpRuns: HttpRecoveryRun[] = [];
  const fx = await startHttpFixture();
  try {
    for (let i = 0; i < config.recoveryRuns; i++) {
      const r = await httpRun(fx);
      httpRuns.push(r);
      log(
        `  http ${i + 1}: detected ${r.detectedMs.toFixed(0)} ms, lost ${r.lostMs.toFixed(0)} ms, call ok ${r.callOkAfterBackMs.toFixed(0)} ms after back (${r.path.join(' > ')})`,
      );
    }
  } finally {
    await stopAllFixtures();
  }
  return {
    settings: RECOVERY_SETTINGS,
    stdio: { runs: stdioRuns, summary: summaries(stdioRuns) },
    http: { runs: httpRuns, summary: summaries(httpRuns) },
  };
}
