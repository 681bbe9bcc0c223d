export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HTTP_PING_INTERVAL_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PING_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_TURN_TIMEOUT_MS,
} from './defaults.js';
export {
  type HttpServerConfigBase,
  parseMcpServersJson,
  parseServerConfig,
  SERVER_NAME_PATTERN,
  type ServerConfig,
  type ServerConfigBase,
  type SseServerConfig,
  type StdioServerConfig,
  type StreamableHttpServerConfig,
  type TransportKind,
} from './serverConfig.js';
