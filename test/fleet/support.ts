// Shared helpers of the fleet tests: replicas in one process, each with its own Redis connections.
import { filter, firstValueFrom, type Observable, throwError, timeout } from 'rxjs';
import type { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import { BreakerFleet, type FleetEvent } from '../../src/fleet/index.js';

export interface Replica {
  name: string;
  fleet: BreakerFleet;
  breaker: CircuitBreaker;
  events: FleetEvent[];
}

/** The next event of `events$` that matches, or a rejection after `ms` (a guard, never a sleep). */
export function next<T extends FleetEvent['type']>(
  events$: Observable<FleetEvent>,
  type: T,
  match: (e: Extract<FleetEvent, { type: T }>) => boolean = () => true,
  ms = 10_000,
): Promise<Extract<FleetEvent, { type: T }>> {
  return firstValueFrom(
    events$.pipe(
      filter((e): e is Extract<FleetEvent, { type: T }> => e.type === type),
      filter(match),
      timeout({ first: ms, with: () => throwError(() => new Error(`no matching ${type} within ${ms} ms`)) }),
    ),
  );
}

export interface ReplicaOptions {
  url: string;
  clock: SimulatedClock;
  key?: string;
  prefix: string;
  threshold?: number;
  successThreshold?: number;
  resetTimeoutMs?: number;
  opTimeoutMs?: number;
  healthCheckMs?: number;
}

/** One replica: a breaker on the shared clock and a started fleet that has read the shared state. */
export async function startReplica(name: string, options: ReplicaOptions): Promise<Replica> {
  const breaker = new CircuitBreaker({
    id: options.key ?? 'search',
    clock: options.clock,
    strategy: { kind: 'consecutive', threshold: options.threshold ?? 3 },
    successThreshold: options.successThreshold ?? 2,
    resetTimeoutMs: options.resetTimeoutMs ?? 30_000,
  });
  const fleet = new BreakerFleet({
    url: options.url,
    replica: name,
    prefix: options.prefix,
    clock: options.clock,
    // Generous by default: a loaded CI machine must not turn a slow answer into a lost Redis.
    opTimeoutMs: options.opTimeoutMs ?? 2_000,
    healthCheckMs: options.healthCheckMs ?? 100,
    leaseRetryMs: 1_000,
  });
  const events: FleetEvent[] = [];
  fleet.events$.subscribe((e) => events.push(e));
  fleet.attach(options.key ?? 'search', breaker);
  const synced = next(fleet.events$, 'fleet.resynced');
  await fleet.start();
  await synced;
  return { name, fleet, breaker, events };
}

export async function stopReplicas(replicas: Replica[]): Promise<void> {
  for (const r of replicas) {
    await r.fleet.stop();
    r.breaker.stop();
  }
}
