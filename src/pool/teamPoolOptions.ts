import type { InspectionEvent } from 'xstate';
import type { SlotStatus } from '../../machines/pool.machine.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import type { EventBus } from '../events/EventBus.js';
import type { PoolStateName } from '../events/RuntimeEvent.js';
import type { Logger } from '../observe/logger.js';
import type { Clock } from '../resilience/Clock.js';

/** What a pool can hold: an {@link MCPTeam}, or anything with a state and a cleanup. */
export interface PoolMember {
  readonly name?: string;
  /** `closing`, `closed` and `buildFailed` mark a member as broken. */
  readonly state: string;
  cleanup(): Promise<void>;
}

/** Options of {@link TeamPool.create}. */
export interface TeamPoolOptions<T extends PoolMember> {
  /** Names the pool in events, errors and member names (`<name>-1`, `<name>-2`...). Default `pool`. */
  name?: string | undefined;
  /** Most members at once. */
  size: number;
  /** Members built before `create` resolves. Default: `size`. The others are built on demand. */
  prewarm?: number | undefined;
  /** Default wait of `acquire()` for a free member. Default 30 000 ms. */
  acquireTimeoutMs?: number | undefined;
  /** Extra health check, run when a member is handed out and when it comes back. */
  isHealthy?: ((member: T) => boolean) | undefined;
  clock?: Clock | undefined;
  /**
   * Where the pool's `pool.*` events go: a bus shared with connections, metrics and logs. Default: a
   * bus of its own, completed by `closeAll()` (a bus passed here is left open).
   */
  bus?: EventBus | undefined;
  logger?: Logger | undefined;
  inspect?: ((event: InspectionEvent) => void) | undefined;
}

/** Options of {@link TeamPool.acquire} and {@link TeamPool.use}. */
export interface AcquireOptions {
  /** Longest wait for a free member; default the pool's `acquireTimeoutMs`. */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** The pool now, read from its machine. */
export interface PoolStatus extends Record<SlotStatus, number> {
  state: PoolStateName;
  size: number;
  waiting: number;
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function memberName(member: PoolMember, slot: number): string {
  return member.name ?? `slot-${slot}`;
}

export function validatePoolOptions<T extends PoolMember>(options: TeamPoolOptions<T>): void {
  const { size, prewarm, acquireTimeoutMs } = options;
  if (!Number.isInteger(size) || size < 1) {
    throw new ConfigurationError(`TeamPool size ${String(size)} is invalid: use a whole number >= 1.`);
  }
  if (prewarm !== undefined && (!Number.isInteger(prewarm) || prewarm < 0 || prewarm > size)) {
    throw new ConfigurationError(
      `TeamPool prewarm ${String(prewarm)} is invalid: use a whole number from 0 to size (${size}).`,
    );
  }
  if (acquireTimeoutMs !== undefined && !(acquireTimeoutMs > 0)) {
    throw new ConfigurationError(
      `TeamPool acquireTimeoutMs ${String(acquireTimeoutMs)} is invalid: use a number of ms > 0.`,
    );
  }
  if (options.name !== undefined && !/^[A-Za-z0-9_.-]{1,48}$/.test(options.name)) {
    throw new ConfigurationError(
      `TeamPool name ${JSON.stringify(options.name)} is invalid: use 1-48 letters, digits, "_", "." or "-".`,
    );
  }
}
