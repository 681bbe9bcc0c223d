import type { Client, LoggingLevel, LoggingMessageNotificationParams } from '@modelcontextprotocol/client';

/** One log message a server sent (`notifications/message`), bounded for a log line. */
export interface ServerLogEntry {
  level: LoggingLevel;
  logger?: string | undefined;
  /** The message's `data`, as text, cut at {@link MAX_LOG_DATA_CHARS}. */
  data: string;
}

/** A server's log message is quoted up to this many characters. */
export const MAX_LOG_DATA_CHARS = 1_024;

/**
 * Delivers the server's log messages (`notifications/message`, the MCP logging utility) to
 * `deliver`, which is handed the notification: no wrapper closure per client (heap per idle
 * connection). Without a handler the SDK drops them; with one, a server that logs 100 000 times
 * must not become 100 000 log lines: the owner rate-limits (see LogFloodGuard).
 */
export function forwardServerLogs(
  client: Client,
  deliver: (notification: { params: LoggingMessageNotificationParams }) => void,
): void {
  client.setNotificationHandler('notifications/message', deliver);
}

/** The entry of one log message, its `data` as text cut at {@link MAX_LOG_DATA_CHARS}. */
export function toServerLogEntry(params: LoggingMessageNotificationParams): ServerLogEntry {
  const raw = typeof params.data === 'string' ? params.data : safeJson(params.data);
  const data = raw.length > MAX_LOG_DATA_CHARS ? `${raw.slice(0, MAX_LOG_DATA_CHARS)}…` : raw;
  return { level: params.level, ...(params.logger ? { logger: params.logger } : {}), data };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
