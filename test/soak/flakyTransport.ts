import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/client';
import { SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';

/** Counts shared by every FlakyTransport of one soak run. */
export interface FlakyCounters {
  /** tools/call requests handed to the transport. */
  sent: number;
  /** Of those, failed by injection. */
  failed: number;
}

/**
 * Wraps a client transport and fails a share of its `tools/call` requests the way an overloaded
 * HTTP gateway does: `send()` rejects with a 503 before the request reaches the server (a
 * transient, retryable failure that counts against the breaker). Everything else passes through.
 */
export class FlakyTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  constructor(
    private readonly inner: Transport,
    private readonly failureRate: number,
    private readonly random: () => number,
    private readonly counters: FlakyCounters,
  ) {
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => this.onmessage?.(message, extra);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if ('method' in message && message.method === 'tools/call') {
      this.counters.sent++;
      if (this.random() < this.failureRate) {
        this.counters.failed++;
        return Promise.reject(
          new SdkHttpError(SdkErrorCode.ClientHttpFailedToOpenStream, 'Service Unavailable (injected)', {
            status: 503,
            statusText: 'Service Unavailable',
          }),
        );
      }
    }
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
