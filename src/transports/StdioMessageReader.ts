import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/client';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/core';
import { RESULT_TOO_LARGE_CODE } from '../errors/classifyError.js';
import { ProtocolError } from '../errors/ProtocolError.js';
import { ResourceError } from '../errors/ResourceError.js';
import { LineSplitter, type OversizedLine } from './LineSplitter.js';
import { oversizedMessageShape } from './oversizedMessage.js';

/** Where a {@link StdioMessageReader} sends what it reads. */
export interface StdioMessageReaderOptions {
  server: string;
  maxMessageBytes: number;
  /** A parsed message, or a synthesized error response for a request whose answer was too large. */
  deliver(message: JSONRPCMessage): void;
  /** A line that was skipped: malformed (ProtocolError) or too large to answer anything (ResourceError). */
  report(error: Error): void;
  /** A message to write back to the server (the refusal of an oversized server request). */
  reply(message: JSONRPCMessage): void;
}

/**
 * Turns a stdio server's stdout into JSON-RPC messages. A line that is not JSON-RPC is reported and
 * skipped. A line above `maxMessageBytes` is dropped without being buffered; if it answers one of
 * our pending requests (id read from its head or tail), that request gets a JSON-RPC error
 * ({@link RESULT_TOO_LARGE_CODE}) at once instead of waiting for its timeout.
 *
 * @example
 * const reader = new StdioMessageReader({ server: 'files', maxMessageBytes: 8 << 20, deliver, report, reply });
 * reader.trackOutgoing(request); // before writing it to stdin
 * child.stdout.on('data', (chunk) => reader.push(chunk));
 */
export class StdioMessageReader {
  private readonly lines: LineSplitter;
  /** Ids of our requests still waiting for a response: only these may receive a synthesized error. */
  private readonly pending = new Set<RequestId>();
  /** True while the rest of an oversized line belongs to a request already answered with an error. */
  private oversizedAnswered = false;

  constructor(private readonly options: StdioMessageReaderOptions) {
    this.lines = new LineSplitter(options.maxMessageBytes, {
      line: (text) => this.onLine(text),
      oversized: (info) => this.onOversized(info),
    });
  }

  push(chunk: Buffer): void {
    this.lines.push(chunk);
  }

  /** Records an outgoing message: a request starts waiting, a cancellation stops its request waiting. */
  trackOutgoing(message: JSONRPCMessage): void {
    if (!('method' in message)) return;
    if ('id' in message) this.pending.add(message.id);
    else if (message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) this.pending.delete(id);
    }
  }

  /** Forgets pending requests and any partial line (the process is gone). */
  reset(): void {
    this.pending.clear();
    this.lines.reset();
    this.oversizedAnswered = false;
  }

  private onLine(text: string): void {
    let parsed: JSONRPCMessage;
    try {
      parsed = JSONRPCMessageSchema.parse(JSON.parse(text));
    } catch (e) {
      this.options.report(
        new ProtocolError(`The server wrote a line that is not a JSON-RPC message: ${preview(text)}.`, {
          server: this.options.server,
          code: 'MALFORMED',
          cause: e,
          hint: 'A stdio server must write only JSON-RPC to stdout; logs belong on stderr.',
        }),
      );
      return;
    }
    if (('result' in parsed || 'error' in parsed) && parsed.id !== undefined) this.pending.delete(parsed.id);
    this.options.deliver(parsed);
  }

  private onOversized(info: OversizedLine): void {
    const { server, maxMessageBytes } = this.options;
    if (info.ended && this.oversizedAnswered) {
      this.oversizedAnswered = false;
      return;
    }
    const { kind, id } = oversizedMessageShape(info.head, info.tail);
    if (kind !== 'request' && id !== undefined && this.pending.has(id)) {
      this.pending.delete(id);
      this.oversizedAnswered = !info.ended;
      this.options.deliver({
        jsonrpc: '2.0',
        id,
        error: {
          code: RESULT_TOO_LARGE_CODE,
          message: `The response is larger than maxMessageBytes (${info.bytes}+ bytes > ${maxMessageBytes}); it was dropped`,
          data: { server, maxMessageBytes, bytes: info.bytes },
        },
      });
      return;
    }
    if (!info.ended) return; // Wait for the tail: the SDK writes `id` last.
    if (kind === 'request' && id !== undefined) {
      // Refuse the server's own request so it does not wait for us forever.
      this.options.reply({
        jsonrpc: '2.0',
        id,
        error: { code: RESULT_TOO_LARGE_CODE, message: 'Request larger than the client accepts' },
      });
    }
    this.options.report(
      new ResourceError(
        `The server sent a ${info.bytes}-byte message, above maxMessageBytes (${maxMessageBytes}); it was dropped.`,
        {
          server,
          code: 'MESSAGE_TOO_LARGE',
          retryable: false,
          hint: 'Raise maxMessageBytes for this server if such messages are expected.',
        },
      ),
    );
  }
}

function preview(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}
