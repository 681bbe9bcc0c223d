// Public API of azcore. Explicit named exports only (DESIGN rule 7).
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type ExecuteOptions,
  isBreakerFailure,
} from './actors/CircuitBreaker.js';
export {
  type ClientInfo,
  McpSession,
  type SessionHooks,
  type TransportFactory,
} from './actors/McpSession.js';
export {
  getPrompt,
  listPrompts,
  listResources,
  listResourceTemplates,
  type McpRequestOptions,
  readResource,
} from './actors/resourcesAndPrompts.js';
export {
  type CallOptions,
  type CallRetryOptions,
  ServerConnection,
  type ServerConnectionOptions,
} from './actors/ServerConnection.js';
export type { SpawnChild } from './actors/SpawnChild.js';
export {
  type AdaptiveDone,
  type AdaptiveFailed,
  type AdaptiveResult,
  type CapabilityAwareOptions,
  CapabilityAwareTeam,
  type ToolListingTeam,
} from './capabilities/CapabilityAwareTeam.js';
export {
  anyToolWord,
  BUILT_IN_CAPABILITIES,
  type CapabilityDefinition,
  type CapabilityMatchers,
  type TextMatcher,
  toolWords,
} from './capabilities/capabilityMatchers.js';
export {
  availableCapabilities,
  type CapabilityMap,
  detectCapabilities,
  requiredCapabilities,
  resolveCapabilities,
} from './capabilities/detectCapabilities.js';
export {
  parseMcpServersJson,
  parseServerConfig,
  type ServerConfig,
  type SseServerConfig,
  type StdioServerConfig,
  type StreamableHttpServerConfig,
} from './config/serverConfig.js';
export { type StateDiagramOptions, toMermaidStateDiagram } from './dashboard/stateDiagram.js';
export {
  AuthError,
  AzcoreError,
  CancelledError,
  CircuitOpenError,
  type ClassifyContext,
  ConfigurationError,
  ConnectionError,
  classifyError,
  type ErrorDetails,
  type ErrorKind,
  InputError,
  isAuthError,
  isAzcoreError,
  isCancelledError,
  isCircuitOpenError,
  isConfigurationError,
  isConnectionError,
  isInputError,
  isProtocolError,
  isResourceError,
  isTeamBuildError,
  isTimeoutError,
  isToolError,
  ProtocolError,
  ResourceError,
  type ServerFailure,
  TeamBuildError,
  TimeoutError,
  ToolError,
} from './errors/index.js';
export { EventBus, ofType, summarizeError } from './events/EventBus.js';
export type {
  BreakerStateName,
  BreakerTransitioned,
  CallFailed,
  CallRejected,
  CallRetried,
  CallStarted,
  CallSucceeded,
  ConnectionStateChanged,
  ConnectionStateName,
  ErrorSummary,
  HealthChecked,
  HealthCheckResult,
  HealthStatusName,
  OperationCompleted,
  RuntimeEvent,
  RuntimeEventType,
  ServerPinged,
  ServerStderr,
  TeamStateChanged,
  ToolsChanged,
} from './events/RuntimeEvent.js';
export {
  type CacheCodec,
  type CachedCallOptions,
  CachedFallback,
  type CachedFallbackOptions,
  type CachedFallbackResult,
  type CacheEntry,
  type CacheStore,
  cacheKey,
  canonicalJson,
  DEFAULT_MAX_ENTRIES,
  DynamicFallback,
  type DynamicFallbackResult,
  type Executor,
  type ExecutorLike,
  type ExecutorOptions,
  type FallbackAttempt,
  type FallbackCallOptions,
  FallbackChain,
  type FallbackDegraded,
  FallbackFailedError,
  type FallbackFailure,
  type FallbackOptions,
  type FallbackResult,
  type FallbackSuccess,
  fallsBackByDefault,
  isFallbackFailedError,
  type JsonValue,
  jsonProblem,
  type MaybePromise,
  MemoryCacheStore,
  type MemoryCacheStoreOptions,
  type NamedExecutor,
  SqliteCacheStore,
  type SqliteCacheStoreOptions,
  type StaticFallbackOptions,
  type StaticFallbackResult,
  type TeamAnswer,
  type TeamExecutorOptions,
  type TeamLike,
  type ToolFailurePolicy,
  teamAnswerCodec,
  teamExecutor,
  unwrapFallback,
  withStaticFallback,
} from './fallback/index.js';
export {
  type CreateChatModelOptions,
  createChatModel,
  type ModelCall,
  OfflineChatModel,
  RuleBasedChatModel,
  type RuleBasedChatModelOptions,
  ScriptedChatModel,
  type ScriptedChatModelOptions,
  type ScriptedReply,
  type ScriptedToolCall,
  type ScriptTurn,
  type ToolCallingChatModel,
  type WhenScriptExhausted,
} from './llm/index.js';
export { type ErrorContextOptions, errorFields, withErrorContext } from './observe/errorContext.js';
export { HealthChecker, type HealthCheckerOptions, type HealthReport } from './observe/HealthChecker.js';
export type { CustomHealthCheck, HealthProbe, HealthTarget } from './observe/healthChecks.js';
export {
  type ActorStateChange,
  combineInspectors,
  createInspectionStream,
  createLocalInspector,
  type InspectObserver,
  type InspectorServer,
  type LocalInspector,
  startInspectorServer,
  systemIdOf,
} from './observe/inspector.js';
export { addSecrets, createLogger, type Logger, type LoggerOptions } from './observe/logger.js';
export {
  type ExecutionLabels,
  MetricsCollector,
  type MetricsCollectorOptions,
  type OperationOutcome,
} from './observe/metrics.js';
export {
  type BreakerMetrics,
  type DurationStats,
  type MetricsFilter,
  type MetricsReport,
  type OperationStats,
  type ServerMetrics,
  TOOL_CALL_OPERATION,
} from './observe/metricsLedger.js';
export { quantile, SlidingWindow } from './observe/percentiles.js';
export { escapeLabelValue, type PrometheusOptions, toPrometheus } from './observe/prometheus.js';
export { type ExecutionRecord, logEvents, logExecution } from './observe/structuredLog.js';
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
} from './pool/PoolEvent.js';
export { TeamPool } from './pool/TeamPool.js';
export type { AcquireOptions, PoolMember, PoolStatus, TeamPoolOptions } from './pool/teamPoolOptions.js';
export {
  type ProductionExecuteOptions,
  ProductionMCPTeam,
  type ProductionStatus,
} from './production/ProductionMCPTeam.js';
export type { ProductionConfig } from './production/productionConfig.js';
export type { AnswerSource, ExecutionResult, FailedToolCall } from './production/taskOutcome.js';
export {
  type ConnectivityFailed,
  type ConnectivityOk,
  type ConnectivityOptions,
  type ConnectivityResult,
  checkConnectivity,
} from './recovery/checkConnectivity.js';
export {
  type Buildable,
  type ConnectWithRetryOptions,
  connectWithRetry,
} from './recovery/connectWithRetry.js';
export {
  ErrorRecovery,
  type ErrorRecoveryOptions,
  type RecoveryFailed,
  type RecoveryRecovered,
  type RecoveryResult,
  type RecoveryStep,
  type RecoverySucceeded,
} from './recovery/ErrorRecovery.js';
export {
  executeSafely,
  type SafeExecuteOptions,
  type SafeExecution,
  type SafeFailure,
  type SafeSuccess,
} from './recovery/executeSafely.js';
export { type InvokableTeam, type TeamTask, taskMessages } from './recovery/InvokableTeam.js';
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
} from './recovery/recoveryStrategies.js';
export { splitTask } from './recovery/splitTask.js';
export { type ToolFailure, toolFailures, unresolvedToolFailures } from './recovery/toolFailures.js';
export {
  AdaptiveTimeout,
  type AdaptiveTimeoutOptions,
  type AdaptiveTimeoutStats,
} from './resilience/AdaptiveTimeout.js';
export {
  AdaptiveRetry,
  type AdaptiveRetryOptions,
  type AdaptiveRetryTable,
  DEFAULT_RETRY_TABLE,
  type KindRetryConfig,
  type RetryableKind,
} from './resilience/adaptiveRetry.js';
export {
  BreakerRegistry,
  type BreakerRegistryOptions,
  type BreakerSettings,
  type BreakerStatus,
} from './resilience/BreakerRegistry.js';
export {
  type Backoff,
  type BackoffOptions,
  type BackoffStrategy,
  constantBackoff,
  createBackoff,
  decorrelatedJitter,
  exponentialBackoff,
  jitteredBackoff,
  previewSchedule,
  type Random,
  seededRandom,
} from './resilience/backoff.js';
export { type Clock, systemClock } from './resilience/Clock.js';
export { Deadline, type DeadlineOptions, type DeadlineStepOptions } from './resilience/Deadline.js';
export {
  NEVER_RETRIED,
  type RetriedWork,
  type RetryAttempt,
  type RetryOptions,
  type RetryRunOptions,
  retry,
} from './resilience/retry.js';
export { sleep } from './resilience/sleep.js';
export { type WithTimeoutOptions, withTimeout } from './resilience/withTimeout.js';
export { ErrorSimulator, type ErrorSimulatorOptions, type ErrorSource } from './simulate/ErrorSimulator.js';
export {
  type ConnectionFault,
  type FaultPlan,
  type FaultyTransportFactory,
  faultyTransports,
} from './simulate/faultyTransports.js';
export type { TeamStep } from './team/agentLoop.js';
export { type ConnectionToolsOptions, connectionTools } from './team/connectionTools.js';
export {
  type CreateMcpToolOptions,
  createMcpTool,
  isMcpToolArtifact,
  McpStructuredTool,
  type McpToolArtifact,
  type McpToolServer,
} from './team/createMcpTool.js';
export { formatToolResult, type ToolResultContent, toolResultContent } from './team/formatToolResult.js';
export {
  finalAnswer,
  type InvokeOptions,
  MCPTeam,
  type ServerStatus,
  type TeamRequestOptions,
  type TeamSpec,
} from './team/MCPTeam.js';
export {
  MCPTeamBuilder,
  type ServerOptions,
  type StdioServerOptions,
  type TeamTimeouts,
  type UrlServerOptions,
} from './team/MCPTeamBuilder.js';
export { McpToolSet } from './team/McpToolSet.js';
export {
  MCP_TOOL_NAME_RULE,
  OPENAI_TOOL_NAME_RULE,
  qualifiedToolName,
  type ToolNameRule,
} from './team/toolNames.js';
export { validateArguments } from './team/validateArguments.js';
export {
  type FaultDirection,
  FaultInjectingTransport,
  type FaultInjectionOptions,
  type InjectedFault,
} from './transports/FaultInjectingTransport.js';
export {
  type ExecuteWithValidationOptions,
  executeWithValidation,
  formatTaskWithParams,
  type TaskRules,
  type ValidatedTask,
  validateTask,
} from './validation/executeWithValidation.js';
export {
  type FieldRule,
  type NumberRules,
  numberSchema,
  type RecordRules,
  recordSchema,
  type StringRules,
  stringSchema,
} from './validation/parameterSchemas.js';
export { isValidationError, ValidationError, type ValidationIssue } from './validation/ValidationError.js';
export { parseOrThrow, validateNumber, validateRecord, validateString } from './validation/validate.js';
