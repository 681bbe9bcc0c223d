// Public root of azcore: connections, teams, policies, errors, events, config. Explicit named
// exports only (DESIGN rule 7). Everything else sits behind a subpath, so that importing the root
// loads no dashboard, inspector (ws), OpenAI, SQLite or mermaid code (test/packaging/rootImport.test.ts):
//   azcore/connection  one server without a team (the lightest entry)
//   azcore/langchain   MCP tools as LangChain tools for your own agent
//   azcore/observe     metrics, health checks, Prometheus text, structured logs
//   azcore/patterns    the guide's patterns (production team, recovery, pools, validation, fallbacks)
//   azcore/testing     offline chat models, error simulator, fault-injecting transports, clocks
//   azcore/cache       cache stores (memory, SQLite)
//   azcore/inspector   XState inspection (@statelyai/inspect over ws)
//   azcore/dashboard, azcore/machines, azcore/otel, azcore/fleet

// Policies: one pipeline (docs/policies.md). wrap(fallback(...), retry(), breaker(b), timeout(ms)), run() -> Outcome
export {
  type BreakerPermit,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type ExecuteOptions,
} from './actors/CircuitBreaker.js';
export type { ClientInfo, SessionHooks, TransportFactory } from './actors/McpSession.js';
// Connections
export {
  type CallOptions,
  type CallRetryOptions,
  ServerConnection,
  type ServerConnectionOptions,
} from './actors/ServerConnection.js';
// Config
export {
  parseMcpServersJson,
  parseServerConfig,
  type ServerConfig,
  type SseServerConfig,
  type StdioServerConfig,
  type StreamableHttpServerConfig,
} from './config/serverConfig.js';
// Errors
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
  isModelError,
  isProtocolError,
  isResourceError,
  isTeamBuildError,
  isTimeoutError,
  isToolError,
  ModelError,
  type ModelErrorDetails,
  type ModelFailureReason,
  ProtocolError,
  ResourceError,
  type ServerFailure,
  TeamBuildError,
  TimeoutError,
  ToolError,
} from './errors/index.js';
// Events and logs
export { EventBus, ofType } from './events/EventBus.js';
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
  ModelCallFailed,
  ModelCallStarted,
  ModelCallSucceeded,
  ModelTokenUsage,
  OperationCompleted,
  RuntimeEvent,
  RuntimeEventType,
  ServerPinged,
  ServerRequested,
  ServerStderr,
  TeamServerJoined,
  TeamStateChanged,
  ToolsChanged,
} from './events/RuntimeEvent.js';
export { type CacheCodec, type CachedSourceOptions, cached } from './fallback/cached.js';
// Teams
export {
  type CreateChatModelOptions,
  createChatModel,
  type ToolCallingChatModel,
} from './llm/createChatModel.js';
export { createLogger, type Logger, type LoggerOptions } from './observe/logger.js';
export { type BreakerPolicyOptions, breaker } from './policy/breaker.js';
export { type BulkheadOptions, bulkhead } from './policy/bulkhead.js';
export { type DynamicSourceOptions, dynamic } from './policy/dynamic.js';
export type { FallbackSource, SourceAnswer } from './policy/FallbackSource.js';
export { type FallbackPolicyOptions, fallback } from './policy/fallback.js';
export type {
  Attempt,
  Outcome,
  OutcomeDegraded,
  OutcomeFailed,
  OutcomeSuccess,
} from './policy/Outcome.js';
export type { Policy, Work } from './policy/Policy.js';
export type { Degradation, PolicyContext, RunOptions } from './policy/PolicyContext.js';
export { type BackoffSpec, type RetryPolicyOptions, type RetrySchedule, retry } from './policy/retry.js';
export { run } from './policy/run.js';
export { staticValue } from './policy/staticValue.js';
export { type LearnedTimeout, type TimeoutOptions, timeout } from './policy/timeout.js';
export { wrap } from './policy/wrap.js';
export type { Backoff, BackoffOptions, BackoffStrategy } from './resilience/backoff.js';
export type { Clock } from './resilience/Clock.js';
export { Deadline, type DeadlineOptions, type DeadlineStepOptions } from './resilience/Deadline.js';
export type { RetryAttempt } from './resilience/retry.js';
export type { TeamStep } from './team/agentLoop.js';
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
export type { TeamAnswer, TeamRunOptions, TeamRunTask, ToolFailurePolicy } from './team/teamRun.js';
export { validate } from './validation/validatePolicy.js';
