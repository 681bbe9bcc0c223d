// azcore/patterns: the error-handling guide's patterns as parts of the one team runner and policy
// pipeline of the root (issue 12): the production preset, recover(), adaptTask() and the capability
// helpers, checkTask() and the validators, checkConnectivity(), byKind() and the retry table,
// AdaptiveTimeout (a learned timeout({ ms })), teamExecutor, the team pool and breaker registry;
// each runs with team.run(task, { policy }) or run(policy, work) and resolves an Outcome. Also here:
// CachedFallback (deprecated: cached()), the schedule factories and withTimeout that the root's
// retry({ backoff }) and timeout() replaced there. Explicit named exports only (DESIGN rule 7).

export {
  BreakerRegistry,
  type BreakerRegistryOptions,
  type BreakerSettings,
  type BreakerStatus,
} from '../actors/BreakerRegistry.js';
export { isBreakerFailure } from '../actors/CircuitBreaker.js';
export { type AdaptedTask, adaptTask, type ToolListingTeam } from '../capabilities/adaptTask.js';
export {
  anyToolWord,
  BUILT_IN_CAPABILITIES,
  type CapabilityDefinition,
  type CapabilityMatchers,
  type TextMatcher,
  toolWords,
} from '../capabilities/capabilityMatchers.js';
export {
  availableCapabilities,
  type CapabilityMap,
  detectCapabilities,
  requiredCapabilities,
  resolveCapabilities,
} from '../capabilities/detectCapabilities.js';
export type {
  PoolAcquired,
  PoolAcquireFailed,
  PoolBuildFailed,
  PoolEvent,
  PoolMemberBuilt,
  PoolQueued,
  PoolReleased,
  PoolReplaced,
  PoolStateChanged,
  PoolStateName,
} from '../events/RuntimeEvent.js';
export { CachedFallback, type CachedFallbackOptions } from '../fallback/CachedFallback.js';
export { cacheKeyOf } from '../fallback/cached.js';
export type { Executor, ExecutorOptions } from '../fallback/Executor.js';
export { byKind } from '../policy/byKind.js';
export { FallbackFailedError, isFallbackFailedError } from '../policy/FallbackFailedError.js';
export { fallsBackByDefault } from '../policy/fallback.js';
export { TeamPool } from '../pool/TeamPool.js';
export type { AcquireOptions, PoolMember, PoolStatus, TeamPoolOptions } from '../pool/teamPoolOptions.js';
export {
  type ProductionExecuteOptions,
  ProductionMCPTeam,
  type ProductionStatus,
} from '../production/ProductionMCPTeam.js';
export type { ProductionConfig } from '../production/productionConfig.js';
export {
  type Connectivity,
  type ConnectivityOptions,
  checkConnectivity,
  isReachable,
} from '../recovery/checkConnectivity.js';
export type { InvokableTeam } from '../recovery/InvokableTeam.js';
export { type RecoverOptions, recover } from '../recovery/recover.js';
export {
  avoidFailedTool,
  defaultRecoveryStrategies,
  fixInput,
  type RecoveryContext,
  type RecoveryStrategies,
  type RecoveryStrategy,
  reaskWithError,
  splitIntoSubtasks,
  type TaskRewrite,
  type TurnOutcome,
  tryAlternatives,
} from '../recovery/recoveryStrategies.js';
export { splitTask } from '../recovery/splitTask.js';
export {
  AdaptiveTimeout,
  type AdaptiveTimeoutOptions,
  type AdaptiveTimeoutStats,
} from '../resilience/AdaptiveTimeout.js';
export {
  type AdaptiveRetryTable,
  DEFAULT_RETRY_TABLE,
  type KindRetryConfig,
  KindRetryTable,
  type RetryableKind,
} from '../resilience/adaptiveRetry.js';
export {
  constantBackoff,
  createBackoff,
  decorrelatedJitter,
  exponentialBackoff,
  jitteredBackoff,
  previewSchedule,
} from '../resilience/backoff.js';
export { NEVER_RETRIED } from '../resilience/retry.js';
export { type WithTimeoutOptions, withTimeout } from '../resilience/withTimeout.js';
export { teamAnswerCodec } from '../team/teamAnswerCodec.js';
export { type TeamExecutorOptions, type TeamLike, teamExecutor } from '../team/teamExecutor.js';
export type { TeamAnswer, ToolFailurePolicy } from '../team/teamRun.js';
export { type ToolFailure, toolFailures, unresolvedToolFailures } from '../team/toolFailures.js';
export {
  type CheckedTask,
  type CheckTaskRules,
  checkTask,
  formatTaskWithParams,
  type TaskRules,
  type ValidatedTask,
  validateTask,
} from '../validation/checkTask.js';
export {
  type FieldRule,
  type NumberRules,
  numberSchema,
  type RecordRules,
  recordSchema,
  type StringRules,
  stringSchema,
} from '../validation/parameterSchemas.js';
export { isValidationError, ValidationError, type ValidationIssue } from '../validation/ValidationError.js';
export { parseOrThrow, validateNumber, validateRecord, validateString } from '../validation/validate.js';
