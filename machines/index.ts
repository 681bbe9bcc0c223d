export {
  type BreakerConfigProblem,
  type BreakerStrategyConfig,
  type BreakerStrategyKind,
  type BreakerStrategyState,
  type ConsecutiveState,
  type CountState,
  initialStrategyState,
  recordStrategyFailure,
  recordStrategySuccess,
  type SamplingBucket,
  type SamplingState,
  type StrategyVerdict,
  strategyProblems,
  successChangesState,
} from './breakerStrategies.js';
export {
  breakerConfigProblems,
  breakerDefaults,
  type CircuitBreakerConfig,
  type CircuitBreakerContext,
  type CircuitBreakerEvent,
  type CircuitBreakerInput,
  type CircuitBreakerMachine,
  type CircuitBreakerStateName,
  canProbe,
  circuitBreakerMachineOf,
  openUntil,
  probeLeaseExpiresAt,
  remainingOpenMs,
  resumeBreakerSnapshot,
} from './circuitBreaker.machine.js';
export {
  type ConnectionContext,
  type ConnectionEvent,
  type ConnectionInput,
  type ConnectionMachine,
  type ConnectionOptions,
  type ConnectionStateValue,
  type ConnectOutput,
  connectionDefaults,
  connectionMachineOf,
  connectionStateName,
  type Failure,
  type FailureReason,
} from './connection.machine.js';
export {
  type CredentialContext,
  type CredentialEvent,
  type CredentialInput,
  type CredentialMachine,
  type CredentialStateValue,
  credentialMachine,
  type RefreshOutput,
} from './credential.machine.js';
export {
  type HealthCheckStatus,
  type HealthChecksOutput,
  type HealthContext,
  type HealthEvent,
  type HealthInput,
  type HealthMachine,
  type HealthVerdict,
  healthMachine,
  healthVerdict,
} from './health.machine.js';
export {
  dispatch,
  initialPoolContext,
  type PoolContext,
  type PoolEffect,
  type PoolEvent as PoolMachineEvent,
  type PoolFailure,
  type PoolInput,
  type PoolMachine,
  type PoolStep,
  poolCounts,
  poolMachine,
  type SlotStatus,
  settleWhileClosing,
  stepPool,
} from './pool.machine.js';
export { moveSlot, poolSlotMachine, type SlotEvent } from './poolSlot.machine.js';
export {
  type TeamContext,
  type TeamEvent,
  type TeamInput,
  type TeamMachine,
  type TeamServerStatus,
  teamMachine,
} from './team.machine.js';

import { type CircuitBreakerMachine, circuitBreakerMachineOf } from './circuitBreaker.machine.js';
import { type ConnectionMachine, connectionMachineOf } from './connection.machine.js';

/** The connection machine (one object; the runtime's connections run it, provided with their I/O). */
export const connectionMachine: ConnectionMachine = connectionMachineOf();
/** The circuit breaker machine (one object; every `CircuitBreaker` runs it). */
export const circuitBreakerMachine: CircuitBreakerMachine = circuitBreakerMachineOf();
