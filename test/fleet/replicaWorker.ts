// One replica of the multi-process fleet test, run as `node --import tsx replicaWorker.ts` with an IPC
// channel: its own ServerConnection to the shared fixture server and, when FLEET_REDIS_URL is set,
// its own BreakerFleet. The parent drives calls one by one and reads the outcomes.
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { isAzcoreError } from '../../src/errors/AzcoreError.js';
import { BreakerFleet } from '../../src/fleet/index.js';
import { createLogger } from '../../src/observe/logger.js';

export type WorkerRequest =
  | { type: 'call'; id: number }
  | { type: 'reconnect'; id: number }
  | { type: 'stop' };

export interface CallOutcome {
  type: 'result';
  id: number;
  /** ok: the server answered; failed: the call reached for the server and failed; rejected: the breaker refused it. */
  outcome: 'ok' | 'failed' | 'rejected';
  /** Breaker state before and after the call. */
  before: string;
  after: string;
  ms: number;
  /** The error code of a failed or rejected call. */
  code?: string | undefined;
}

export type WorkerMessage =
  | { type: 'ready'; replica: string }
  | CallOutcome
  | { type: 'reconnected'; id: number }
  | { type: 'fleet'; event: { type: string; granted?: boolean; state?: string } }
  | { type: 'error'; message: string };

const send = (message: WorkerMessage) => process.send?.(message);
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`replicaWorker needs ${name}`);
  return value;
};

async function main(): Promise<void> {
  const replica = env('REPLICA');
  const conn = new ServerConnection({
    config: { name: 'upstream', transport: 'streamableHttp', url: env('UPSTREAM_URL') },
    logger: createLogger({ level: 'silent' }),
    retry: { maxAttempts: 1 },
    connection: { backoffBaseMs: 20, backoffMaxMs: 100, pingIntervalMs: 3_600_000 },
    breaker: {
      strategy: { kind: 'consecutive', threshold: Number(env('THRESHOLD')) },
      successThreshold: 1,
      resetTimeoutMs: Number(env('RESET_TIMEOUT_MS')),
    },
  });
  await conn.start();
  const url = process.env.FLEET_REDIS_URL;
  let fleet: BreakerFleet | undefined;
  if (url) {
    fleet = new BreakerFleet({
      url,
      replica,
      prefix: env('FLEET_PREFIX'),
      opTimeoutMs: 2_000,
      leaseRetryMs: 200,
    });
    fleet.events$.subscribe((e) =>
      send({
        type: 'fleet',
        event: {
          type: e.type,
          ...('granted' in e ? { granted: e.granted } : {}),
          ...('state' in e ? { state: e.state } : {}),
        },
      }),
    );
    fleet.attach('upstream', conn.breaker);
    await fleet.start();
  }
  process.on('message', async (request: WorkerRequest) => {
    if (request.type === 'stop') {
      await fleet?.stop();
      await conn.close();
      process.exit(0);
    }
    if (request.type === 'reconnect') {
      conn.reconnect();
      await conn.start().catch(() => {});
      send({ type: 'reconnected', id: request.id });
      return;
    }
    const before = conn.breaker.state;
    const started = performance.now();
    let outcome: CallOutcome['outcome'] = 'ok';
    let code: string | undefined;
    try {
      await conn.callTool('echo', { text: 'hi' }, { timeout: 10_000 });
    } catch (e) {
      outcome = isAzcoreError(e) && e.kind === 'circuitOpen' ? 'rejected' : 'failed';
      code = isAzcoreError(e) ? `${e.kind}:${e.code}` : String(e);
    }
    const after = conn.breaker.state;
    send({ type: 'result', id: request.id, outcome, before, after, ms: performance.now() - started, code });
  });
  send({ type: 'ready', replica });
}

main().catch((e: unknown) => {
  send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});
