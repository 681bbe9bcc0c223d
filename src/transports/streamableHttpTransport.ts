import type { FetchLike } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { StreamableHttpServerConfig } from '../config/serverConfig.js';

/** Options of the HTTP transports that are not part of the server config. */
export interface HttpTransportOptions {
  /** fetch to use instead of the global one (a proxy, instrumentation, fault injection). */
  fetch?: FetchLike | undefined;
}

/**
 * A new SDK Streamable HTTP transport for one connect attempt: url, headers (through
 * `requestInit`) and authProvider from the config, and no session id, so a reconnect after a
 * 404 (session expired) starts a new session. `close()` is made idempotent: the SDK's fires
 * `onclose` on every call, and both the Client and the owner of the handle call it.
 *
 * @example
 * const t = createStreamableHttpTransport({ name: 'search', transport: 'streamableHttp', url: 'http://127.0.0.1:3001/mcp' });
 * await client.connect(t);
 */
export function createStreamableHttpTransport(
  config: StreamableHttpServerConfig,
  options: HttpTransportOptions = {},
): StreamableHTTPClientTransport {
  const transport = new StreamableHTTPClientTransport(new URL(config.url), {
    ...(config.headers ? { requestInit: { headers: config.headers } } : {}),
    ...(config.authProvider ? { authProvider: config.authProvider } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const close = transport.close.bind(transport);
  let closing: Promise<void> | undefined;
  transport.close = () => {
    closing ??= close();
    return closing;
  };
  return transport;
}
