import type { Transport } from '@modelcontextprotocol/client';
import type { ServerConfig, SseServerConfig, StreamableHttpServerConfig } from '../config/serverConfig.js';
import { GuardedSseTransport } from './GuardedSseTransport.js';
import { StdioProcessTransport, type StdioProcessTransportOptions } from './StdioProcessTransport.js';
import { createStreamableHttpTransport, type HttpTransportOptions } from './streamableHttpTransport.js';

/** Callbacks and knobs for {@link createTransport}; the stdio ones are ignored for HTTP servers. */
export interface CreateTransportOptions extends StdioProcessTransportOptions, HttpTransportOptions {}

/** A transport for one connect attempt and the means to end it for sure. */
export interface TransportHandle {
  /** Give it to `Client.connect()`. */
  readonly transport: Transport;
  /** Process id (and process group id) of a stdio server once started; undefined for HTTP. */
  readonly pid?: number | undefined;
  /** Closes the transport and, for stdio, kills the server's process group. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds a fresh transport for `config`. Call it once per connect attempt: transports are not
 * reusable, and a reconnect after an expired HTTP session must not carry the old session id.
 *
 * @example
 * const handle = createTransport(config, { onStderr: (line) => log.debug({ line }) });
 * const client = new Client({ name: 'app', version: '1.0.0' });
 * try { await client.connect(handle.transport); } catch (e) { await handle.close(); throw classifyError(e); }
 */
export function createTransport(config: ServerConfig, options: CreateTransportOptions = {}): TransportHandle {
  switch (config.transport) {
    case 'stdio': {
      const transport = new StdioProcessTransport(config, options);
      return {
        transport,
        get pid() {
          return transport.pid;
        },
        close: () => transport.close(),
      };
    }
    case 'streamableHttp': {
      const transport = createStreamableHttpTransport(config, options);
      return { transport, close: () => transport.close() };
    }
    case 'sse': {
      const transport = new GuardedSseTransport(config, options);
      return { transport, close: () => transport.close() };
    }
  }
}

/**
 * HTTP statuses with which a server answers the first POST of a Streamable HTTP client when it
 * only serves the legacy HTTP+SSE transport (MCP spec, "Backwards compatibility": 400, 404 or 405).
 */
const LEGACY_SSE_SIGNALS = new Set([400, 404, 405]);

/** True when `status`, answered to the first POST of a Streamable HTTP connect, says "try legacy SSE". */
export function signalsLegacySse(status: number | undefined): boolean {
  return status !== undefined && LEGACY_SSE_SIGNALS.has(status);
}

/** The same server reached over the legacy HTTP+SSE transport, on the same URL (GET opens the stream). */
export function asLegacySse(config: StreamableHttpServerConfig): SseServerConfig {
  return { ...config, transport: 'sse' };
}
