// Public API of azcore. Explicit named exports only (DESIGN rule 7).
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type ExecuteOptions,
  isBreakerFailure,
} from './actors/CircuitBreaker.js';
export { type ClientInfo, McpSession, type SessionHooks } from './actors/McpSession.js';
export {
  type CallOptions,
  type CallRetryOptions,
  ServerConnection,
  type ServerConnectionOptions,
} from './actors/ServerConnection.js';
export {
  parseMcpServersJson,
  parseServerConfig,
  type ServerConfig,
  type SseServerConfig,
  type StdioServerConfig,
  type StreamableHttpServerConfig,
} from './config/serverConfig.js';
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
  isTimeoutError,
  isToolError,
  ProtocolError,
  ResourceError,
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
  RuntimeEvent,
  RuntimeEventType,
  ServerPinged,
  ServerStderr,
  ToolsChanged,
} from './events/RuntimeEvent.js';
export { addSecrets, createLogger, type Logger, type LoggerOptions } from './observe/logger.js';
export {
  type Backoff,
  type BackoffOptions,
  decorrelatedJitter,
  exponentialBackoff,
  jitteredBackoff,
  type Random,
  seededRandom,
} from './resilience/backoff.js';
export { type Clock, systemClock } from './resilience/Clock.js';
export { Deadline, type DeadlineOptions } from './resilience/Deadline.js';
export { type RetryAttempt, type RetryOptions, retry } from './resilience/retry.js';
export { sleep } from './resilience/sleep.js';
