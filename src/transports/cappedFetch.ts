import type { FetchLike, JSONRPCMessage, RequestId } from '@modelcontextprotocol/client';
import { RESULT_TOO_LARGE_CODE } from '../errors/classifyError.js';
import { ResourceError } from '../errors/ResourceError.js';
import { followAbort } from './followAbort.js';
import { type OversizedMessageShape, oversizedMessageShape } from './oversizedMessage.js';
import { type OversizedSseEvent, type OversizedSseVerdict, SseEventCap } from './SseEventCap.js';

/** Where a {@link createCappedFetch} fetch gets its cap and sends what it drops. */
export interface CappedFetchOptions {
  server: string;
  maxMessageBytes: number;
  /** The fetch to wrap (default: the global one). */
  fetch?: FetchLike | undefined;
  /**
   * On a GET event stream, whether an oversized message with this id answers one of our requests
   * (it then gets a {@link RESULT_TOO_LARGE_CODE} error in its place). POST streams answer only the
   * requests they were opened for, so they need no such hint.
   */
  answersPending(id: RequestId, shape: OversizedMessageShape): boolean;
  /** An oversized message that answers none of our requests was dropped (a ResourceError). */
  report(error: Error): void;
  /** A message to send back to the server: the refusal of an oversized server request. */
  reply(message: JSONRPCMessage): void;
}

/** How much of a POST body is read to find its request id before falling back to parsing it. */
const EDGE_CHARS = 512;

/**
 * A fetch for the SDK's HTTP transports that caps each JSON-RPC message the server sends at
 * `maxMessageBytes`, counting bytes as they arrive and never buffering past the cap:
 * - a POST answered with `application/json` larger than the cap (by `Content-Length` or by counting)
 *   is cancelled and replaced by a JSON-RPC error for the request(s) it answers;
 * - a `text/event-stream` (a POST's response stream or a GET stream) passes events on whole; an
 *   oversized event is dropped and, when it answers one of our requests, replaced by an error event
 *   for that request only. A POST stream whose requests are all answered that way is cancelled;
 *   a GET stream (legacy SSE delivers every response there) flows on with the next event.
 * The error has code {@link RESULT_TOO_LARGE_CODE} (ResourceError `RESULT_TOO_LARGE`), as on stdio.
 *
 * @example
 * const fetch = createCappedFetch({ server: 'search', maxMessageBytes: 8 << 20, answersPending, report, reply });
 * new StreamableHTTPClientTransport(url, { fetch });
 */
export function createCappedFetch(options: CappedFetchOptions): FetchLike {
  const base = options.fetch ?? ((url, init) => fetch(url, init));
  return async (url, init) => {
    const parent = init?.signal;
    if (!parent || parent.aborted) return capResponse(await base(url, init), init, options, noRelease);
    // fetch gets a child of the transport-wide signal, released when the body is done with.
    const followed = followAbort(parent);
    let response: Response;
    try {
      response = await base(url, { ...init, signal: followed.signal });
    } catch (error) {
      followed.release();
      throw error;
    }
    return capResponse(response, init, options, followed.release);
  };
}

const noRelease = (): void => {};

/** Caps what `response` carries; `release` runs once its body has been read to the end, cancelled or failed. */
function capResponse(
  response: Response,
  init: RequestInit | undefined,
  options: CappedFetchOptions,
  release: () => void,
): Response | Promise<Response> {
  const body = response.body;
  if (!body) {
    release();
    return response;
  }
  if (response.ok) {
    const type = mediaType(response.headers.get('content-type'));
    const method = (init?.method ?? 'GET').toUpperCase();
    if (method === 'GET' && type === 'text/event-stream') {
      return withBody(response, capEventStream(body, options.maxMessageBytes, getStream(options), release));
    }
    const ids = method === 'POST' ? requestIds(init?.body) : [];
    if (ids.length > 0 && type === 'application/json') return capJsonBody(response, ids, options, release);
    if (ids.length > 0 && type === 'text/event-stream') {
      const judge = postStream(new Set(ids), options);
      return withBody(response, capEventStream(body, options.maxMessageBytes, judge, release));
    }
  }
  return release === noRelease ? response : withBody(response, releasingBody(body, release));
}

/** The JSON-RPC error put in place of a response that was too large. */
export function resultTooLarge(
  id: RequestId,
  bytes: number,
  options: Pick<CappedFetchOptions, 'server' | 'maxMessageBytes'>,
): JSONRPCMessage {
  const { server, maxMessageBytes } = options;
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: RESULT_TOO_LARGE_CODE,
      message: `The response is larger than maxMessageBytes (${bytes}+ bytes > ${maxMessageBytes}); it was dropped`,
      data: { server, maxMessageBytes, bytes },
    },
  };
}

type Judge = (event: OversizedSseEvent) => OversizedSseVerdict | undefined;

/** A POST's response stream: it answers exactly the requests of the POST. */
function postStream(pending: Set<RequestId>, options: CappedFetchOptions): Judge {
  return (event) => {
    const shape = oversizedMessageShape(event.head, event.tail);
    // A response whose id is neither first nor last: on a one-request POST it can only be that one's.
    const only = pending.size === 1 ? [...pending][0] : undefined;
    const id =
      shape.kind === 'request' ? undefined : (shape.id ?? (shape.kind === 'response' ? only : undefined));
    if (id !== undefined && pending.has(id)) {
      pending.delete(id);
      return { replacement: resultTooLarge(id, event.bytes, options), stop: pending.size === 0 };
    }
    return dropped(event, shape, options);
  };
}

/** A GET stream (Streamable HTTP's standalone or resumed stream; every response on legacy SSE). */
function getStream(options: CappedFetchOptions): Judge {
  return (event) => {
    const shape = oversizedMessageShape(event.head, event.tail);
    if (shape.kind !== 'request' && shape.id !== undefined && options.answersPending(shape.id, shape)) {
      return { replacement: resultTooLarge(shape.id, event.bytes, options) };
    }
    return dropped(event, shape, options);
  };
}

/** An oversized message that answers none of our requests: refused if it is a request, reported once ended. */
function dropped(
  event: OversizedSseEvent,
  shape: OversizedMessageShape,
  options: CappedFetchOptions,
): undefined {
  if (!event.ended) return undefined; // Wait for the tail: the SDK writes `id` last.
  if (shape.kind === 'request' && shape.id !== undefined) {
    options.reply({
      jsonrpc: '2.0',
      id: shape.id,
      error: { code: RESULT_TOO_LARGE_CODE, message: 'Request larger than the client accepts' },
    });
  }
  options.report(messageTooLarge(event.bytes, options));
  return undefined;
}

function messageTooLarge(bytes: number, options: CappedFetchOptions): ResourceError {
  return new ResourceError(
    `The server sent a ${bytes}-byte message, above maxMessageBytes (${options.maxMessageBytes}); it was dropped.`,
    {
      server: options.server,
      code: 'MESSAGE_TOO_LARGE',
      retryable: false,
      hint: 'Raise maxMessageBytes for this server if such messages are expected.',
    },
  );
}

/** Passes `source` through an {@link SseEventCap}, pulling only as fast as the reader reads. */
function capEventStream(
  source: ReadableStream<Uint8Array>,
  maxBytes: number,
  judge: Judge,
  release: () => void,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const cap = new SseEventCap(maxBytes, judge);
  return releasingStream(reader, release, async (controller) => {
    for (;;) {
      const { value, done } = await reader.read();
      const out = done ? cap.end() : cap.push(value);
      for (const piece of out) controller.enqueue(piece);
      if (done || cap.stopped) {
        if (!done) await reader.cancel().catch(() => {});
        return true;
      }
      if (out.length > 0) return false;
    }
  });
}

/** `source` unchanged, calling `release` once it has been read to the end, cancelled or failed. */
function releasingBody(source: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return releasingStream(reader, release, async (controller) => {
    const { value, done } = await reader.read();
    if (!done) controller.enqueue(value);
    return done;
  });
}

/**
 * A stream pulled from `reader` one `step` at a time (no read ahead: `highWaterMark` 0); `step`
 * enqueues what it passes on and says whether the source is done. `release` runs once the stream
 * ends, fails or is cancelled.
 */
function releasingStream(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  release: () => void,
  step: (controller: ReadableStreamDefaultController<Uint8Array>) => Promise<boolean>,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!(await step(controller))) return;
        } catch (error) {
          release();
          throw error;
        }
        release();
        controller.close();
      },
      cancel: (reason) => {
        release();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Reads a JSON body up to the cap; above it, cancels the body and answers every request with an error. */
async function capJsonBody(
  response: Response,
  ids: RequestId[],
  options: CappedFetchOptions,
  release: () => void,
): Promise<Response> {
  try {
    return await readJsonBody(response, ids, options);
  } finally {
    release();
  }
}

async function readJsonBody(
  response: Response,
  ids: RequestId[],
  options: CappedFetchOptions,
): Promise<Response> {
  const body = response.body as ReadableStream<Uint8Array>;
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const exact = !response.headers.has('content-encoding');
  if (exact && declared > options.maxMessageBytes) {
    await body.cancel().catch(() => {});
    return tooLargeResponse(response, ids, declared, options);
  }
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > options.maxMessageBytes) {
      await reader.cancel().catch(() => {});
      return tooLargeResponse(response, ids, size, options);
    }
    parts.push(value);
  }
  const replay = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = parts.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  return withBody(response, replay);
}

function tooLargeResponse(
  response: Response,
  ids: RequestId[],
  bytes: number,
  options: CappedFetchOptions,
): Response {
  const errors = ids.map((id) => resultTooLarge(id, bytes, options));
  return withBody(response, JSON.stringify(errors.length === 1 ? errors[0] : errors));
}

/** Headers that describe the original body, not the one put in its place (fetch has decoded it). */
const STALE_HEADERS = ['content-length', 'content-encoding'] as const;

/** The same response (status, headers such as `mcp-session-id`, url) with another body. */
function withBody(response: Response, body: ReadableStream<Uint8Array> | string): Response {
  const { status, statusText, headers } = response;
  // The Response copies the headers it is given: edit that copy rather than copying twice.
  const copy = new Response(body, { status, statusText, headers });
  for (const name of STALE_HEADERS) if (copy.headers.has(name)) copy.headers.delete(name);
  // EventSource follows `redirected`/`url` for its reconnects; a constructed Response has neither.
  Object.defineProperties(copy, {
    url: { value: response.url },
    redirected: { value: response.redirected },
  });
  return copy;
}

function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Ids of the JSON-RPC requests in a POST body (the SDK sends a JSON string); [] for anything else. */
export function requestIds(body: unknown): RequestId[] {
  if (typeof body !== 'string') return [];
  const shape = oversizedMessageShape(body.slice(0, EDGE_CHARS), body.slice(-EDGE_CHARS));
  if (shape.kind === 'request' && shape.id !== undefined) return [shape.id];
  try {
    const parsed: unknown = JSON.parse(body);
    return (Array.isArray(parsed) ? parsed : [parsed]).flatMap((m: unknown) => {
      const r = m as { method?: unknown; id?: unknown } | null;
      const id = r?.id;
      return typeof r?.method === 'string' && (typeof id === 'string' || typeof id === 'number') ? [id] : [];
    });
  } catch {
    return [];
  }
}
