import type { JSONRPCMessage, MessageExtraInfo, RequestId, Transport } from '@modelcontextprotocol/client';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/client';
import { DEFAULT_MAX_MESSAGE_BYTES, type SseServerConfig } from '../config/serverConfig.js';
import { classifyError } from '../errors/classifyError.js';
import { fromHttpStatus } from '../errors/fromTransportFailure.js';
import { createCappedFetch } from './cappedFetch.js';
import type { HttpTransportOptions } from './streamableHttpTransport.js';

/**
 * The SDK's HTTP+SSE client transport, closed as soon as its event stream fails. Left alone, the
 * SDK's EventSource reconnects every few seconds forever (before or after `start()`), so a
 * dead server would never be reported. Here: a failure before the endpoint arrives closes it and
 * `start()` rejects with a classified error; a stream failure later closes it and fires `onclose`,
 * and the owner reconnects with a fresh transport. Every message on the event stream is capped at
 * `maxMessageBytes` (default 8 MiB, as on stdio): an oversized event is dropped without being
 * buffered, the request it answers fails alone with ResourceError `RESULT_TOO_LARGE`, and the
 * stream goes on (see {@link createCappedFetch}).
 *
 * @example
 * const t = new GuardedSseTransport({ name: 'legacy', transport: 'sse', url: 'http://127.0.0.1:3001/sse' });
 * await client.connect(t); // rejects fast with ConnectionError ECONNREFUSED if nothing listens
 */
export class GuardedSseTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  /** The wrapped SDK transport (for diagnostics; do not start or send through it directly). */
  readonly sdkTransport: SSEClientTransport;
  private readonly server: string;
  private started = false;
  private closing: Promise<void> | undefined;
  private closed = false;
  /** Our requests still waiting for a response: only these may be answered with a too-large error. */
  private readonly pending = new Set<RequestId>();

  constructor(config: SseServerConfig, options: HttpTransportOptions = {}) {
    this.server = config.name;
    const fetch = createCappedFetch({
      server: this.server,
      maxMessageBytes: config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      fetch: options.fetch,
      answersPending: (id) => this.pending.has(id),
      report: (error) => this.onerror?.(error),
      reply: (message) => void this.send(message).catch(() => {}),
    });
    const inner = new SSEClientTransport(new URL(config.url), {
      ...(config.headers ? { requestInit: { headers: config.headers } } : {}),
      ...(config.authProvider ? { authProvider: config.authProvider } : {}),
      fetch,
    });
    inner.onmessage = (message: JSONRPCMessage) => {
      if (('result' in message || 'error' in message) && message.id !== undefined)
        this.pending.delete(message.id);
      this.onmessage?.(message);
    };
    inner.onclose = () => {
      if (this.closed) return;
      this.closed = true;
      this.onclose?.();
    };
    inner.onerror = (e) => {
      // A microtask later, so EventSource has armed its reconnect timer and close() clears it.
      if (!this.started || e instanceof SseError) queueMicrotask(() => void this.close());
      // Before start the rejection of start() carries the error.
      if (this.started) this.onerror?.(classifyError(e, { server: this.server }));
    };
    this.sdkTransport = inner;
  }

  async start(): Promise<void> {
    try {
      await this.sdkTransport.start();
    } catch (e) {
      await this.close();
      throw classifyError(e, { server: this.server });
    }
    this.started = true;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.track(message);
    try {
      await this.sdkTransport.send(message);
    } catch (e) {
      if ('method' in message && 'id' in message) this.pending.delete(message.id);
      // The SDK reports a failed POST as a plain Error with the status only in its text.
      const status =
        e instanceof Error ? /^Error POSTing to endpoint \(HTTP (\d{3})\)/.exec(e.message)?.[1] : undefined;
      throw status
        ? fromHttpStatus(Number(status), this.server, e)
        : classifyError(e, { server: this.server });
    }
  }

  /** Stops the event stream and any reconnect timer. Idempotent. */
  close(): Promise<void> {
    this.pending.clear();
    this.closing ??= this.sdkTransport.close();
    return this.closing;
  }

  /** A request starts waiting for its response; a cancellation stops its request waiting. */
  private track(message: JSONRPCMessage): void {
    if (!('method' in message)) return;
    if ('id' in message) this.pending.add(message.id);
    else if (message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) this.pending.delete(id);
    }
  }

  setProtocolVersion(version: string): void {
    this.sdkTransport.setProtocolVersion(version);
  }
}
