import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { isAzcoreError } from '../../src/errors/AzcoreError.js';
import { seededRandom } from '../../src/resilience/backoff.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { type ProcessProbe, probeProcess } from '../chaos/probe.js';
import { type FlakyCounters, FlakyTransport } from './flakyTransport.js';
import type { SoakReport } from './report.js';

// Load and soak: 100,000 tool calls through ServerConnections (breaker, retry, deadline, SDK Client)
// to in-memory MCP servers whose transport fails 30% of the calls with a transient 503. Measures the
// success rate with retries, the breaker openings, heap growth after GC between the end of a
// warm-up and the end of the run, and handle/listener counts.

const TOTAL = Number(process.env.AZCORE_SOAK_CALLS ?? 100_000);
const WARM_UP = Math.round(TOTAL / 10);
const SERVERS = 4;
const IN_FLIGHT_PER_SERVER = 64;
const FAILURE_RATE = 0.3;
/**
 * The bound for CI is a minute. The test checks the CPU time this process spent (what a
 * dedicated CI core needs) rather than wall time, which other work on a shared machine inflates.
 */
const CPU_LIMIT_MS = 60_000;

// A full GC between phases, without a special worker: the flag is set at run time and `gc` read
// from a fresh context (V8 installs it on contexts created after the flag is set).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

interface Tally {
  issued: number;
  succeeded: number;
  rejectedOpen: number;
  failedByKind: Record<string, number>;
  latencies: number[];
}

function soakServer(index: number, counters: FlakyCounters, servers: McpServer[]) {
  const random = seededRandom(1000 + index);
  return () => {
    const server = new McpServer({ name: `soak-${index}`, version: '1.0.0' });
    server.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    void server.connect(serverSide);
    servers.push(server);
    return new FlakyTransport(client, FAILURE_RATE, random, counters);
  };
}

/** Issues calls on `conn` until `limit` calls have been issued across all workers. */
async function worker(conn: ServerConnection, tally: Tally, limit: number): Promise<void> {
  while (tally.issued < limit) {
    tally.issued++;
    const started = performance.now();
    try {
      await conn.callTool('echo', { text: 'soak' }, { timeout: 10_000 });
      tally.succeeded++;
      if (tally.latencies.length < 200_000) tally.latencies.push(performance.now() - started);
    } catch (e) {
      const kind = isAzcoreError(e) ? e.kind : 'untyped';
      if (kind === 'circuitOpen') {
        // A well-behaved caller honours retryAt instead of spinning on an open breaker.
        tally.rejectedOpen++;
        const retryAt = (e as { retryAt?: number }).retryAt ?? Date.now();
        await delay(Math.max(1, retryAt - Date.now()));
      } else {
        tally.failedByKind[kind] = (tally.failedByKind[kind] ?? 0) + 1;
      }
    }
  }
}

/** Waits (on breaker events) until no breaker is open, so no reset timer is pending. */
async function breakersAtRest(conns: ServerConnection[]): Promise<void> {
  await Promise.all(conns.map((c) => firstValueFrom(c.breaker.state$.pipe(filter((s) => s !== 'open')))));
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

function diff(before: ProcessProbe, after: ProcessProbe) {
  const grown = (a: Map<string | symbol, number>, b: Map<string | symbol, number>) =>
    [...b].filter(([k, n]) => n > (a.get(k) ?? 0)).map(([k, n]) => `${String(k)} ${a.get(k) ?? 0} -> ${n}`);
  return {
    handles: grown(before.handles, after.handles),
    listeners: grown(before.listeners, after.listeners),
  };
}

interface SoakRun {
  measured: Record<string, number>;
  tally: Tally;
  leaks: { handles: string[]; listeners: string[] };
}

const conns: ServerConnection[] = [];
const servers: McpServer[] = [];

/** SDK Client requests still awaiting an answer (private map, read for diagnosis only). */
function pendingResponseHandlers(conn: ServerConnection): number {
  const client = conn.session.client as unknown as { _responseHandlers?: Map<unknown, unknown> } | undefined;
  return client?._responseHandlers?.size ?? 0;
}

async function soak(): Promise<SoakRun> {
  const counters: FlakyCounters = { sent: 0, failed: 0 };
  const openings: number[] = [];
  for (let i = 0; i < SERVERS; i++) {
    const conn = new ServerConnection({
      config: { name: `soak${i}`, transport: 'stdio', command: 'in-memory' },
      transportFactory: soakServer(i, counters, servers),
      logger: quietLogger,
      random: seededRandom(i),
      retry: { idempotent: true, maxAttempts: 3 },
      breaker: { resetTimeoutMs: 100 },
    });
    conn.breaker.state$.pipe(filter((s) => s === 'open')).subscribe(() => openings.push(i));
    conns.push(conn);
  }
  await Promise.all(conns.map((c) => c.start()));
  const tally: Tally = { issued: 0, succeeded: 0, rejectedOpen: 0, failedByKind: {}, latencies: [] };
  const runTo = (limit: number) =>
    Promise.all(
      conns.flatMap((conn) => Array.from({ length: IN_FLIGHT_PER_SERVER }, () => worker(conn, tally, limit))),
    );

  const started = performance.now();
  const cpuStart = process.cpuUsage();
  await runTo(WARM_UP);
  await breakersAtRest(conns);
  const baseHeap = await settledHeap();
  const baseProbe = probeProcess();
  await runTo(TOTAL);
  await breakersAtRest(conns);
  const endHeap = await settledHeap();
  const endProbe = probeProcess();
  const durationMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);

  const failed = Object.values(tally.failedByKind).reduce((a, b) => a + b, 0);
  const sorted = tally.latencies.sort((a, b) => a - b);
  const measured = {
    calls: tally.issued,
    succeeded: tally.succeeded,
    successRate: tally.succeeded / tally.issued,
    admittedSuccessRate: tally.succeeded / (tally.succeeded + failed),
    rejectedByOpenBreaker: tally.rejectedOpen,
    failedAfterRetries: failed,
    attemptsSent: counters.sent,
    injectedFailures: counters.failed,
    observedFailureRate: counters.failed / counters.sent,
    retries: counters.sent - (tally.issued - tally.rejectedOpen),
    breakerOpenings: openings.length,
    heapBaseMb: baseHeap / 2 ** 20,
    heapEndMb: endHeap / 2 ** 20,
    heapGrowthPercent: (100 * (endHeap - baseHeap)) / baseHeap,
    pendingResponseHandlers: conns.reduce((n, c) => n + pendingResponseHandlers(c), 0),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    durationMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    callsPerSecond: tally.issued / (durationMs / 1000),
  };
  return { measured, tally, leaks: diff(baseProbe, endProbe) };
}

function writeReport({ measured: m, tally, leaks }: SoakRun): void {
  const pct = (n: number) => `${(100 * n).toFixed(2)}%`;
  const grown = [...leaks.handles, ...leaks.listeners];
  const report: SoakReport = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    measured: m,
    figures: [
      [
        `calls (${SERVERS} ServerConnections x ${IN_FLIGHT_PER_SERVER} in flight, in-memory servers)`,
        `${m.calls}`,
      ],
      [
        'injected transient failures (HTTP 503 from send, before the server)',
        `${m.injectedFailures} of ${m.attemptsSent} attempts (${pct(m.observedFailureRate ?? 0)})`,
      ],
      ['retries (3 attempts, idempotent)', `${m.retries}`],
      ['succeeded', `${m.succeeded} of ${m.calls} (${pct(m.successRate ?? 0)})`],
      [
        'success rate of calls the breaker admitted',
        `${pct(m.admittedSuccessRate ?? 0)} (theory without breaker: 1 - 0.3^3 = 97.30%)`,
      ],
      ['failed after 3 attempts', `${m.failedAfterRetries} ${JSON.stringify(tally.failedByKind)}`],
      ['breaker openings (consecutive 5, reset 100 ms)', `${m.breakerOpenings}`],
      ['rejected fast by an open breaker (caller then waits until retryAt)', `${m.rejectedByOpenBreaker}`],
      [
        'heap after GC, end of warm-up -> end of run',
        `${m.heapBaseMb?.toFixed(1)} MB -> ${m.heapEndMb?.toFixed(1)} MB (${m.heapGrowthPercent?.toFixed(1)}%)`,
      ],
      ['SDK Client response handlers left with no request in flight', `${m.pendingResponseHandlers}`],
      ['active handles / process listeners grown', grown.length === 0 ? 'none' : grown.join(', ')],
      ['latency of successful calls p50 / p99', `${m.p50Ms?.toFixed(1)} ms / ${m.p99Ms?.toFixed(1)} ms`],
      [
        'duration (CPU time)',
        `${((m.durationMs ?? 0) / 1000).toFixed(1)} s (${((m.cpuMs ?? 0) / 1000).toFixed(1)} s CPU), ${Math.round(m.callsPerSecond ?? 0)} calls/s`,
      ],
    ],
  };
  const out = fileURLToPath(new URL('../../test-results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}soak.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(report.figures.map(([k, v]) => `${k}: ${v}`).join('\n'));
}

let run: SoakRun;
beforeAll(async () => {
  run = await soak();
  writeReport(run);
}, 240_000);
afterAll(async () => {
  await Promise.all(conns.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
});

describe(`soak: ${TOTAL} calls at 30% transient failure`, () => {
  it('injects the configured failure rate, and every failure is typed', () => {
    expect(run.measured.observedFailureRate).toBeGreaterThan(0.28);
    expect(run.measured.observedFailureRate).toBeLessThan(0.32);
    expect(run.tally.failedByKind.untyped ?? 0).toBe(0);
  });

  it('retries carry admitted calls to the theoretical success rate; the breaker opens and recovers', () => {
    const { calls, succeeded, failedAfterRetries, rejectedByOpenBreaker } = run.measured;
    // Every call settled one way or the other.
    expect((succeeded ?? 0) + (failedAfterRetries ?? 0) + (rejectedByOpenBreaker ?? 0)).toBe(calls);
    expect(run.measured.admittedSuccessRate).toBeGreaterThan(0.95);
    // Fail-fast rejections while open are the price of a consecutive-5 breaker at 30% failure.
    expect(run.measured.successRate).toBeGreaterThan(0.6);
    expect(run.measured.breakerOpenings).toBeGreaterThan(0);
    expect(conns.every((c) => c.breaker.state !== 'open')).toBe(true);
  });

  it('leaves no more active handles (timers, sockets) or process listeners than after the warm-up', () => {
    expect(run.leaks).toEqual({ handles: [], listeners: [] });
  });

  it('stays within a minute of CPU time', () => {
    expect(run.measured.cpuMs).toBeLessThan(CPU_LIMIT_MS);
  });

  // Known bug (SDK 1.32.2, inherited by McpSession): when transport.send() rejects, Protocol.request
  // clears the request's timeout but never deletes its _responseHandlers entry, so every failed send
  // leaves a closure (with the call's options and signal) on the Client until it closes. Fails until
  // McpSession (or the SDK) drops the handler; see pendingResponseHandlers in the report.
  it('does not grow the heap after GC by more than 10%', () => {
    expect(run.measured.pendingResponseHandlers).toBe(0);
    expect(run.measured.heapGrowthPercent).toBeLessThan(10);
  });
});
