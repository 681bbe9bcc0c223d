// azcore/connection: one MCP server without a team, and nothing a team needs (no LangChain). The
// lightest entry: ServerConnection, its resources and prompts, the errors, events and config it uses.
// Explicit named exports only (DESIGN rule 7).
export {
  type ClientInfo,
  McpSession,
  type SessionHooks,
  type TransportFactory,
} from '../actors/McpSession.js';
export {
  getPrompt,
  listPrompts,
  listResources,
  listResourceTemplates,
  type McpRequestOptions,
  readResource,
} from '../actors/resourcesAndPrompts.js';
export {
  type CallOptions,
  type CallRetryOptions,
  ServerConnection,
  type ServerConnectionOptions,
} from '../actors/ServerConnection.js';
export type { SpawnChild } from '../actors/SpawnChild.js';
export {
  parseMcpServersJson,
  parseServerConfig,
  type ServerConfig,
  type SseServerConfig,
  type StdioServerConfig,
  type StreamableHttpServerConfig,
} from '../config/serverConfig.js';
export {
  AuthError,
  AzcoreError,
  CancelledError,
  CircuitOpenError,
  ConfigurationError,
  ConnectionError,
  classifyError,
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
} from '../errors/index.js';
export { EventBus, ofType } from '../events/EventBus.js';
export type { RuntimeEvent, RuntimeEventType } from '../events/RuntimeEvent.js';
export { createLogger, type Logger, type LoggerOptions } from '../observe/logger.js';
export { Deadline, type DeadlineOptions } from '../resilience/Deadline.js';
