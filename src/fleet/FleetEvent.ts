import type { SharedBreakerState } from './breakerScript.js';

interface FleetEventBase {
  /** Epoch ms of the fleet's clock. */
  at: number;
  /** The replica that emits it. */
  replica: string;
}

/**
 * What a fleet tells its replica. Redis trouble never fails a call: it shows up here as
 * `fleet.redis.lost` (the replica goes on with local state) and `fleet.redis.restored`
 * (after which the shared state is read again: `fleet.resynced`).
 */
export type FleetEvent =
  | (FleetEventBase & { type: 'fleet.redis.lost'; reason: string })
  | (FleetEventBase & { type: 'fleet.redis.restored' })
  | (FleetEventBase & { type: 'fleet.resynced'; keys: number })
  | (FleetEventBase & {
      /** A local transition written to the shared record (`won`) or beaten by a newer write (merged instead). */
      type: 'fleet.breaker.published';
      key: string;
      state: SharedBreakerState;
      openedAt: number | undefined;
      generation: number;
      won: boolean;
    })
  | (FleetEventBase & {
      /** A transition of another replica applied to the local breaker. */
      type: 'fleet.breaker.applied';
      key: string;
      state: SharedBreakerState;
      openedAt: number | undefined;
      generation: number;
      by: string;
    })
  | (FleetEventBase & {
      /** A local failure counted fleet-wide (consecutive strategy): `failures` so far, `tripped` when it opened the fleet. */
      type: 'fleet.breaker.failure';
      key: string;
      failures: number;
      tripped: boolean;
    })
  | (FleetEventBase & {
      /** The half-open probe lease: `granted` means this replica is the one that probes. */
      type: 'fleet.probe.lease';
      key: string;
      granted: boolean;
    });

export type FleetEventType = FleetEvent['type'];
