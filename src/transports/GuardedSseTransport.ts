import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { JSONRPCMessage, MessageExtraInfo, RequestId, Transport } from '@modelcontextprotocol/client';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/client';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../config/defaults.js';
import type { SseServerConfig } from '../config/serverConfig.js';
import { ConnectionError } from '../errors/ConnectionError.js';
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
  /** Rejects a start() still waiting for the endpoint: close() must end the attempt, not orphan it. */
  private abandonStart: ((error: Error) => void) | undefined;
  /** Our requests still waiting for a response: only these may be answered with a too-large error. */
  private readonly pending = new Set<RequestId>();

  constructor(config: SseServerConfig, options: HttpTransportOptions = {}) {
    this.server = config.name;
    const fetch = createCappedFetch({
      server: this.server,
      maxMessageBytes: config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      fetch: options.wrapFetch
        ? options.wrapFetch(options.fetch ?? releasingFetch)
        : (options.fetch ?? releasingFetch),
      answersPending: (id) => this.pending.has(id),
      report: (error) => this.onerror?.(error),
      reply: (message) => void this.send(message).catch(() => {}),
    });
    const inner = new SSEClientTransport(new URL(config.url), {
      ...(config.headers ? { requestInit: { headers: config.headers } } : {}),
      ...(config.authProvider ? { authProvider: config.authProvider } : {}),
      ...(config.oauth?.allowIssuerMismatch ? { skipIssuerMetadataValidation: true } : {}),
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

  /**
   * Opens the event stream and waits for the endpoint. A close() meanwhile (the attempt's timeout
   * or abort) aborts the pending GET, releasing its socket, and rejects: the SDK's own start()
   * would wait forever on a server that accepted the connection but never answered.
   */
  async start(): Promise<void> {
    const abandoned = new Promise<never>((_, reject) => {
      this.abandonStart = reject;
    });
    try {
      await Promise.race([this.sdkTransport.start(), abandoned]);
    } catch (e) {
      await this.close();
      throw classifyError(e, { server: this.server });
    } finally {
      this.abandonStart = undefined;
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
    this.abandonStart?.(
      new ConnectionError('The SSE connect attempt was closed before the server opened its event stream.', {
        server: this.server,
        code: 'TRANSPORT_CLOSED',
      }),
    );
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

type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** Statuses whose Response may not have a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch`, except for the event stream's GET, which goes through node:http. Node 20's fetch, aborted
 * while waiting for the response headers, rejects but keeps the socket open until the server
 * answers or its 300 s headers timeout: a server that accepts the connection and never answers
 * would hold one socket per failed attempt. Here an abort destroys the request and its socket.
 * Redirects are returned, not followed (the SDK asks for `redirect: 'manual'` and follows same-origin
 * ones itself); any other request, or a GET that wants redirects followed, uses `fetch`.
 */
const releasingFetch: FetchLike = (url, init) => {
  const headers = new Headers(init?.headers);
  const method = (init?.method ?? 'GET').toUpperCase();
  const target = new URL(url);
  const eventStream = method === 'GET' && (headers.get('accept') ?? '').includes('text/event-stream');
  const http = target.protocol === 'http:' || target.protocol === 'https:';
  if (!eventStream || !http || init?.redirect !== 'manual') return fetch(url, init);
  return new Promise<Response>((resolve, reject) => {
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return reject(abortError(signal));
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method, headers: Object.fromEntries(headers) });
    const onAbort = () => req.destroy(abortError(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => signal?.removeEventListener('abort', onAbort));
    req.once('error', reject);
    req.once('response', (res: IncomingMessage) => resolve(toResponse(res)));
    req.end();
  });
};

function toResponse(res: IncomingMessage): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      headers.append(name, v);
  }
  const status = res.statusCode ?? 500;
  if (NULL_BODY.has(status)) res.resume();
  const body = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason = signal?.reason as unknown;
  return reason instanceof Error && reason.name === 'AbortError'
    ? reason
    : new DOMException('This operation was aborted', 'AbortError');
}
