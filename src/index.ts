// Public API of azcore. Explicit named exports only (DESIGN rule 7).
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type ExecuteOptions,
  isBreakerFailure,
} from './actors/CircuitBreaker.js';
export { type ClientInfo, McpSession, type SessionHooks, type TransportFactory } from './actors/McpSession.js';
export {
  type CallOptions,
  type CallRetryOptions,
  ServerConnection,
  type ServerConnectionOptions,
} from './actors/ServerConnection.js';
export type { SpawnChild } from './actors/SpawnChild.js';
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
  RuntimeEvent,
  RuntimeEventType,
  ServerPinged,
  ServerStderr,
  TeamStateChanged,
  ToolsChanged,
} from './events/RuntimeEvent.js';
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
export type { TeamStep } from './team/agentLoop.js';
export {
  type CreateMcpToolOptions,
  createMcpTool,
  isMcpToolArtifact,
  McpStructuredTool,
  type McpToolArtifact,
  type McpToolServer,
} from './team/createMcpTool.js';
export { formatToolResult } from './team/formatToolResult.js';
export {
  finalAnswer,
  type InvokeOptions,
  MCPTeam,
  type ServerStatus,
  type TeamSpec,
} from './team/MCPTeam.js';
export {
  MCPTeamBuilder,
  type ServerOptions,
  type StdioServerOptions,
  type TeamTimeouts,
  type UrlServerOptions,
} from './team/MCPTeamBuilder.js';
export {
  MCP_TOOL_NAME_RULE,
  OPENAI_TOOL_NAME_RULE,
  qualifiedToolName,
  type ToolNameRule,
} from './team/toolNames.js';
export { validateArguments } from './team/validateArguments.js';
