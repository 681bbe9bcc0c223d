import type { FetchLike } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../config/defaults.js';
import type { StreamableHttpServerConfig } from '../config/serverConfig.js';
import { createCappedFetch } from './cappedFetch.js';
import { withUrlCredentials } from './urlCredentials.js';

/** Options of the HTTP transports that are not part of the server config. */
export interface HttpTransportOptions {
  /** fetch to use instead of the global one (a proxy, instrumentation, fault injection). */
  fetch?: FetchLike | undefined;
  /** Wraps the fetch the transport would use (OAuth: refresh once on a 401 and send again). */
  wrapFetch?: ((next: FetchLike) => FetchLike) | undefined;
}

/**
 * A new SDK Streamable HTTP transport for one connect attempt: url, headers (through
 * `requestInit`) and authProvider from the config, and no session id, so a reconnect after a
 * 404 (session expired) starts a new session. `close()` is made idempotent: the SDK's fires
 * `onclose` on every call, and both the Client and the owner of the handle call it. Every message
 * the server sends is capped at `maxMessageBytes` (default 8 MiB, as on stdio): a larger response
 * fails only its own request, with ResourceError `RESULT_TOO_LARGE` (see {@link createCappedFetch}).
 *
 * @example
 * const t = createStreamableHttpTransport({ name: 'search', transport: 'streamableHttp', url: 'http://127.0.0.1:3001/mcp' });
 * await client.connect(t);
 */
export function createStreamableHttpTransport(
  config: StreamableHttpServerConfig,
  options: HttpTransportOptions = {},
): StreamableHTTPClientTransport {
  const fetch = createCappedFetch({
    server: config.name,
    maxMessageBytes: config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    fetch: options.wrapFetch ? options.wrapFetch(options.fetch ?? globalThis.fetch) : options.fetch,
    // Only a resumed GET stream carries responses; a request of the server has a `method`.
    answersPending: (_id, shape) => shape.kind === 'response',
    report: (error) => transport.onerror?.(error),
    // The SDK reports a failed send through onerror itself.
    reply: (message) => void transport.send(message).catch(() => {}),
  });
  const { url, headers } = withUrlCredentials(config.url, config.headers);
  const transport = new StreamableHTTPClientTransport(url, {
    ...(headers ? { requestInit: { headers } } : {}),
    ...(config.authProvider ? { authProvider: config.authProvider } : {}),
    ...(config.oauth?.allowIssuerMismatch ? { skipIssuerMetadataValidation: true } : {}),
    fetch,
  });
  const close = transport.close.bind(transport);
  let closing: Promise<void> | undefined;
  transport.close = () => {
    closing ??= close();
    return closing;
  };
  return transport;
}
