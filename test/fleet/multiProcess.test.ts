// Four worker processes, each with its own ServerConnection to ONE fixture HTTP server, with and
// without the fleet. The server dies: without the fleet each replica pays its own breaker threshold
// in failed calls; with it the fleet pays about one threshold. After the server is back, exactly one
// replica probes and every replica closes.
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type HttpFixture, startHttpFixture, stopAllFixtures } from '../fixtures/index.js';
import type { CallOutcome, WorkerMessage, WorkerRequest } from './replicaWorker.js';
import { useRedisServer } from './setup.js';

const WORKER = fileURLToPath(new URL('./replicaWorker.ts', import.meta.url));
const REPLICAS = 4;
const THRESHOLD = 3;
const RESET_TIMEOUT_MS = 1_500;

const redis = useRedisServer();
afterAll(async () => {
  await stopAllFixtures();
});

class Worker {
  readonly child: ChildProcess;
  readonly fleetEvents: Array<{ type: string; granted?: boolean; state?: string }> = [];
  readonly ready: Promise<void>;
  #seq = 0;
  readonly #waiting = new Map<number, (m: WorkerMessage) => void>();

  constructor(name: string, env: Record<string, string>) {
    this.child = fork(WORKER, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env, REPLICA: name },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'error') reject(new Error(m.message));
        else if (m.type === 'fleet') this.fleetEvents.push(m.event);
        else this.#waiting.get(m.id)?.(m);
      });
      this.child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}`)));
    });
  }

  #ask<T extends WorkerMessage>(request: Omit<Extract<WorkerRequest, { id: number }>, 'id'>): Promise<T> {
    const id = ++this.#seq;
    return new Promise((resolve) => {
      this.#waiting.set(id, (m) => {
        this.#waiting.delete(id);
        resolve(m as T);
      });
      this.child.send({ ...request, id });
    });
  }

  call(): Promise<CallOutcome> {
    return this.#ask<CallOutcome>({ type: 'call' });
  }

  async reconnect(): Promise<void> {
    await this.#ask({ type: 'reconnect' });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    await exited;
  }
}

interface Figures {
  failedBeforeAllReject: number;
  outageCalls: number;
  probes: number;
  recoveryCalls: number;
}

/** Calls round-robin, one at a time across the fleet, until a whole round is rejected. */
async function outage(workers: Worker[]): Promise<{ failed: number; calls: number }> {
  let failed = 0;
  let calls = 0;
  for (let round = 0; round < 20; round++) {
    const outcomes = [];
    for (const w of workers) outcomes.push(await w.call());
    if (process.env.FLEET_TRACE)
      console.log(
        outcomes.map((o) => `${o.before}>${o.after} ${o.outcome} ${o.code ?? ''} ${o.ms.toFixed(0)}ms`),
      );
    calls += outcomes.length;
    failed += outcomes.filter((o) => o.outcome === 'failed').length;
    if (outcomes.every((o) => o.outcome === 'rejected')) return { failed, calls };
  }
  throw new Error(`the fleet never rejected a whole round (failed ${failed} of ${calls})`);
}

/** Calls round-robin until a round where every replica was closed before its call and got an answer. */
async function recovery(workers: Worker[]): Promise<{ probes: number; calls: number }> {
  let probes = 0;
  let calls = 0;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const outcomes = [];
    for (const w of workers) outcomes.push(await w.call());
    calls += outcomes.length;
    probes += outcomes.filter((o) => o.before !== 'closed' && o.outcome !== 'rejected').length;
    if (outcomes.every((o) => o.before === 'closed' && o.outcome === 'ok')) return { probes, calls };
    // Pacing while the breakers wait out resetTimeoutMs: the loop polls by calling, like traffic would.
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the fleet did not close within 20 s (${probes} probes in ${calls} calls)`);
}

async function scenario(withFleet: boolean): Promise<Figures> {
  const fixture: HttpFixture = await startHttpFixture();
  const env: Record<string, string> = {
    UPSTREAM_URL: fixture.url.href,
    THRESHOLD: String(THRESHOLD),
    RESET_TIMEOUT_MS: String(RESET_TIMEOUT_MS),
    FLEET_PREFIX: `mp${randomUUID().slice(0, 8)}:`,
    ...(withFleet ? { FLEET_REDIS_URL: redis.url } : {}),
  };
  const workers = Array.from({ length: REPLICAS }, (_, i) => new Worker(`R${i + 1}`, env));
  try {
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) expect((await w.call()).outcome).toBe('ok');
    await fixture.kill();
    const down = await outage(workers);
    await fixture.restart();
    await Promise.all(workers.map((w) => w.reconnect()));
    const up = await recovery(workers);
    return {
      failedBeforeAllReject: down.failed,
      outageCalls: down.calls,
      probes: up.probes,
      recoveryCalls: up.calls,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await fixture.stop();
  }
}

describe('a fleet of 4 processes, one upstream server (real fixture, real redis-server)', () => {
  it('without the fleet every replica pays its own threshold and probes for itself', async () => {
    const figures = await scenario(false);
    console.log('without fleet', figures);
    // Each replica pays its own threshold; on a loaded machine a call may also fail without a verdict.
    expect(figures.failedBeforeAllReject).toBeGreaterThanOrEqual(REPLICAS * THRESHOLD);
    expect(figures.probes).toBe(REPLICAS);
  }, 90_000);

  it('with the fleet: at most threshold + 4 failed calls before every replica rejects; one probe closes all', async () => {
    const figures = await scenario(true);
    console.log('with fleet', figures);
    expect(figures.failedBeforeAllReject).toBeLessThanOrEqual(THRESHOLD + REPLICAS);
    expect(figures.probes).toBe(1);
  }, 90_000);
});
