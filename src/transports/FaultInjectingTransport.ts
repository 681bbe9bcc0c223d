import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/client';
import { type Observable, Subject } from 'rxjs';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { type Random, seededRandom } from '../resilience/backoff.js';
import { type Clock, systemClock } from '../resilience/Clock.js';

/** `outgoing`: client to server (`send`); `incoming`: server to client (`onmessage`). */
export type FaultDirection = 'outgoing' | 'incoming';

/** Faults to inject. Rates are probabilities in [0, 1]; every draw comes from the seeded RNG. */
export interface FaultInjectionOptions {
  /** Delay of each message, fixed or uniform in a range. Order within a direction is kept. */
  latencyMs?: number | { minMs: number; maxMs: number } | undefined;
  /** Probability that a message silently disappears (the request then times out). */
  dropRate?: number | undefined;
  /** Probability that an outgoing `send` rejects with a ConnectionError (code `INJECTED_FAULT`). */
  errorRate?: number | undefined;
  /** After this many messages (both directions), the next one is lost and the transport closes. */
  crashAfterMessages?: number | undefined;
  /** Which messages latency, drops and errors apply to. Default: all. Crashes count every message. */
  appliesTo?: ((message: JSONRPCMessage, direction: FaultDirection) => boolean) | undefined;
  /** Seed of the RNG (default 1) when no `random` is given: same seed, same faults. */
  seed?: number | undefined;
  random?: Random | undefined;
  /** Timer source of latency. `SimulatedClock` works. Default: wall clock. */
  clock?: Clock | undefined;
}

/** One fault as it was injected. */
export interface InjectedFault {
  kind: 'delayed' | 'dropped' | 'failed' | 'crashed';
  direction: FaultDirection;
  /** JSON-RPC method of a request or notification. */
  method?: string | undefined;
  /** JSON-RPC id of a request or response. */
  id?: string | number | undefined;
  delayMs?: number | undefined;
  /** Messages seen before this one (both directions). */
  seen: number;
}

function rate(name: string, value: number | undefined): number {
  const r = value ?? 0;
  if (!(r >= 0 && r <= 1))
    throw new ConfigurationError(`FaultInjectingTransport: ${name} must be in [0, 1], got ${String(value)}.`);
  return r;
}

function describe(message: JSONRPCMessage): { method?: string; id?: string | number } {
  return {
    ...('method' in message ? { method: message.method } : {}),
    ...('id' in message && message.id !== undefined ? { id: message.id } : {}),
  };
}

/**
 * Wraps any MCP SDK `Transport` and injects faults between the client and the server: latency,
 * dropped messages, failing sends and a crash after N messages, all drawn from a seeded RNG and
 * timed on an injected clock, so a fault scenario replays exactly. Give a fresh one to each
 * `Client.connect()` (or return one from a `transportFactory`).
 *
 * @example
 * const handle = createTransport(config);
 * const faulty = new FaultInjectingTransport(handle.transport, { latencyMs: 50, dropRate: 0.1, seed: 7 });
 * faulty.faults$.subscribe((f) => console.log(f.kind, f.direction, f.method ?? f.id));
 * await new Client({ name: 'app', version: '1.0.0' }).connect(faulty);
 */
export class FaultInjectingTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;
  readonly #inner: Transport;
  readonly #random: Random;
  readonly #clock: Clock;
  readonly #options: FaultInjectionOptions;
  readonly #dropRate: number;
  readonly #errorRate: number;
  readonly #faults = new Subject<InjectedFault>();
  /** Pending delays: clearing them lets the waiting message go nowhere instead of hanging. */
  readonly #timers = new Map<unknown, () => void>();
  readonly #lastDelivery: Record<FaultDirection, number> = { outgoing: 0, incoming: 0 };
  #seen = 0;
  #crashed = false;
  #closed = false;

  /** Every fault as it is injected. */
  readonly faults$: Observable<InjectedFault> = this.#faults.asObservable();

  constructor(inner: Transport, options: FaultInjectionOptions = {}) {
    this.#inner = inner;
    this.#options = options;
    this.#dropRate = rate('dropRate', options.dropRate);
    this.#errorRate = rate('errorRate', options.errorRate);
    const crash = options.crashAfterMessages;
    if (crash !== undefined && !(Number.isInteger(crash) && crash >= 0)) {
      throw new ConfigurationError(
        `FaultInjectingTransport: crashAfterMessages must be a whole number >= 0, got ${crash}.`,
      );
    }
    this.#random = options.random ?? seededRandom(options.seed ?? 1);
    this.#clock = options.clock ?? systemClock;
    inner.onmessage = (message, extra) => this.#incoming(message, extra);
    inner.onclose = () => {
      this.#clearTimers();
      this.onclose?.();
    };
    inner.onerror = (error) => this.onerror?.(error);
    // Keep the inner transport's stdio shape (the SDK's era probe tells stdio from HTTP by it).
    for (const key of ['pid', 'stderr'] as const) {
      if (key in inner)
        Object.defineProperty(this, key, { get: () => (inner as unknown as Record<string, unknown>)[key] });
    }
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion = (version: string): void => {
    this.#inner.setProtocolVersion?.(version);
  };

  start(): Promise<void> {
    return this.#inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#crashIfDue('outgoing', message)) return;
    const faulty = this.#applies(message, 'outgoing');
    if (faulty && this.#draw(this.#dropRate)) {
      this.#report('dropped', 'outgoing', message);
      return;
    }
    if (faulty && this.#draw(this.#errorRate)) {
      this.#report('failed', 'outgoing', message);
      throw new ConnectionError('The transport failed to send the message (injected fault).', {
        code: 'INJECTED_FAULT',
        hint: 'This failure was injected by FaultInjectingTransport; it tests how the caller copes.',
      });
    }
    const delayMs = faulty ? this.#delayFor('outgoing', message) : 0;
    if (delayMs > 0) await this.#after(delayMs);
    if (this.#crashed || this.#closed) return;
    await this.#inner.send(message, options);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#clearTimers();
    await this.#inner.close();
    this.#faults.complete();
  }

  #incoming(message: JSONRPCMessage, extra: MessageExtraInfo | undefined): void {
    if (this.#crashIfDue('incoming', message)) return;
    const faulty = this.#applies(message, 'incoming');
    if (faulty && this.#draw(this.#dropRate)) {
      this.#report('dropped', 'incoming', message);
      return;
    }
    const delayMs = faulty ? this.#delayFor('incoming', message) : 0;
    if (delayMs <= 0) {
      this.onmessage?.(message, extra);
      return;
    }
    void this.#after(delayMs).then(() => {
      if (!this.#crashed && !this.#closed) this.onmessage?.(message, extra);
    });
  }

  /** Counts the message; when the crash is due, loses it and closes the inner transport. */
  #crashIfDue(direction: FaultDirection, message: JSONRPCMessage): boolean {
    if (this.#crashed) return direction === 'incoming';
    const limit = this.#options.crashAfterMessages;
    const seen = this.#seen++;
    if (limit === undefined || seen < limit) return false;
    this.#crashed = true;
    this.#report('crashed', direction, message, undefined, seen);
    this.#clearTimers();
    this.#inner.close().catch((e: unknown) => this.onerror?.(e instanceof Error ? e : new Error(String(e))));
    return true;
  }

  #applies(message: JSONRPCMessage, direction: FaultDirection): boolean {
    return this.#options.appliesTo ? this.#options.appliesTo(message, direction) : true;
  }

  #draw(probability: number): boolean {
    return probability > 0 && this.#random() < probability;
  }

  #delayFor(direction: FaultDirection, message: JSONRPCMessage): number {
    const latency = this.#options.latencyMs;
    if (latency === undefined) return 0;
    const wanted =
      typeof latency === 'number'
        ? latency
        : latency.minMs + (latency.maxMs - latency.minMs) * this.#random();
    const now = this.#clock.now();
    // Never overtake the message before: a real pipe or socket keeps order.
    const deliverAt = Math.max(now + Math.max(0, wanted), this.#lastDelivery[direction]);
    this.#lastDelivery[direction] = deliverAt;
    const delayMs = deliverAt - now;
    if (delayMs > 0) this.#report('delayed', direction, message, delayMs);
    return delayMs;
  }

  #after(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.set(timer, resolve);
    });
  }

  #clearTimers(): void {
    const pending = [...this.#timers];
    this.#timers.clear();
    for (const [timer, release] of pending) {
      this.#clock.clearTimeout(timer);
      release();
    }
  }

  #report(
    kind: InjectedFault['kind'],
    direction: FaultDirection,
    message: JSONRPCMessage,
    delayMs?: number,
    seen = this.#seen - 1,
  ): void {
    this.#faults.next({
      kind,
      direction,
      ...describe(message),
      ...(delayMs !== undefined ? { delayMs } : {}),
      seen,
    });
  }
}
