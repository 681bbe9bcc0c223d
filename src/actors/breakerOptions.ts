// The options of a CircuitBreaker and their check: every tuning option has a production default
// (the machine's breakerDefaults); a bad one is a ConfigurationError naming the option and the breaker.
import type { InspectionEvent, Observer, Snapshot } from 'xstate';
import type { BreakerStrategyConfig } from '../../machines/breakerStrategies.js';
import {
  breakerConfigProblems,
  breakerDefaults,
  type CircuitBreakerConfig,
} from '../../machines/circuitBreaker.machine.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import type { EventBus } from '../events/EventBus.js';
import type { Clock } from '../resilience/Clock.js';
import { timerDurationProblem } from '../resilience/durations.js';
import type { SpawnChild } from './SpawnChild.js';

/** Options of {@link CircuitBreaker}. Every tuning option has a production default. */
export interface CircuitBreakerOptions {
  /** Names the breaker in events (`source: 'breaker:<id>'`) and errors. */
  id: string;
  /** Spawn the breaker as a child of an owner (system id `breaker:<id>`) instead of as a root actor. */
  spawn?: SpawnChild | undefined;
  /** MCP server this breaker guards, named in its CircuitOpenErrors. */
  server?: string | undefined;
  /** When a closed circuit opens. Default: 5 consecutive failures. */
  strategy?: BreakerStrategyConfig | undefined;
  /** Probe successes that close a half-open circuit. Default 2. */
  successThreshold?: number | undefined;
  /** Ms an open circuit rejects calls before letting a probe through; also a probe's lease. Default 30 000. */
  resetTimeoutMs?: number | undefined;
  /** Probes in flight at once while half-open. Default 1. */
  halfOpenMaxProbes?: number | undefined;
  /** Time source of timers and timestamps (XState's `SimulatedClock` fits). Default: wall clock. */
  clock?: Clock | undefined;
  /** Where `breaker.transition` events go. */
  bus?: EventBus | undefined;
  /** A {@link CircuitBreaker.getPersistedSnapshot} result to resume from; the options above win over its settings. */
  snapshot?: Snapshot<unknown> | undefined;
  /** XState inspection observer (e.g. `@statelyai/inspect`). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
}

/** Options of {@link CircuitBreaker.execute}. */
export interface ExecuteOptions {
  /**
   * Whether an error counts against the server. Default ({@link breakerVerdict}): raw errors and
   * azcore errors of kind connection, timeout, protocol or resource. Other errors (the server
   * answered: tool, input, auth) count as successes. Cancellations, nested circuit rejections and
   * an expired session count as nothing, whatever this says.
   */
  isFailure?: ((error: unknown) => boolean) | undefined;
}

/** The machine's settings from `options`, or the ConfigurationError of the first bad one. */
export function validate(options: CircuitBreakerOptions): CircuitBreakerConfig {
  const id = typeof options.id === 'string' ? options.id : '';
  const config: CircuitBreakerConfig = {
    strategy: options.strategy ?? breakerDefaults.strategy,
    successThreshold: options.successThreshold ?? breakerDefaults.successThreshold,
    resetTimeoutMs: options.resetTimeoutMs ?? breakerDefaults.resetTimeoutMs,
    halfOpenMaxProbes: options.halfOpenMaxProbes ?? breakerDefaults.halfOpenMaxProbes,
  };
  // The shared timer guard first: it also refuses a string, which the machine's numeric check would coerce.
  const timer = timerDurationProblem(config.resetTimeoutMs, { zero: false });
  const [first] = !id
    ? [{ option: 'id', problem: 'must be a non-empty string' }]
    : timer
      ? [{ option: 'resetTimeoutMs', problem: timer }]
      : breakerConfigProblems(config);
  if (first) {
    const of = id ? ` of '${id}'` : '';
    throw new ConfigurationError(`Invalid circuit breaker option '${first.option}'${of}: ${first.problem}.`);
  }
  return config;
}
