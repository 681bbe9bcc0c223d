import type { CallToolResult, Client } from '@modelcontextprotocol/client';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../config/defaults.js';
import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import { isAzcoreError } from '../errors/AzcoreError.js';
import { type CircuitOpenError, isCircuitOpenError } from '../errors/CircuitOpenError.js';
import { classifyError } from '../errors/classifyError.js';
import { redactedError } from '../errors/redactedError.js';
import { summarizeError } from '../events/EventBus.js';
import { type Backoff, decorrelatedJitter } from '../resilience/backoff.js';
import { systemClock } from '../resilience/Clock.js';
import type { Deadline } from '../resilience/Deadline.js';
import { clampTimerMs, MAX_TIMER_MS } from '../resilience/durations.js';
import { NEVER_RETRIED, type RetryOptions, retry } from '../resilience/retry.js';
import type { BreakerPermit } from './CircuitBreaker.js';
import {
  closedWhileRunning,
  isOwnRequestTimeout,
  outcomeUnknownIfSent,
  provenNotSent,
  SDK_TIMEOUT_SLACK_MS,
} from './callOutcome.js';
import type { ConnectionParts } from './connectionParts.js';
import { type CallOptions, type CallProgress, DEFAULT_RETRY_ON } from './serverConnectionOptions.js';
import type { ToolList } from './toolList.js';
import { waitForClient } from './waitForClient.js';

/**
 * The call path of one server: breaker, retry and deadline around `tools/call`. In CLOSED state
 * a call is a breaker permit and one SDK request, with no retry state, timer or closure built
 * (bench/: overhead, allocation; test/actors/fastPath.test.ts). Failures that say something about
 * the connection (session expired, credentials, a broken transport) are told to the machine.
 */
export class CallPath {
  readonly #parts: ConnectionParts;
  readonly #tools: ToolList;
  readonly #retryOn: ReadonlySet<ErrorKind>;
  /** Retry schedule of calls, built on the first retry (a pure function of the attempt and the previous delay). */
  #callBackoff: Backoff | undefined;
  /** Failures raised before the request was sent (while waiting for a connection). */
  #unsent: WeakSet<AzcoreError> | undefined;
  #callSeq = 0;

  constructor(parts: ConnectionParts, tools: ToolList) {
    this.#parts = parts;
    this.#tools = tools;
    const retryOn = parts.options.retry?.retryOn;
    this.#retryOn = retryOn ? new Set(retryOn) : DEFAULT_RETRY_ON;
  }

  /**
   * ServerConnection.callTool: see there. A plain call (no caller signal, deadline, progress or
   * request `_meta`, the wall clock, a usable connection, a valid budget) takes the short way: no
   * async frame, the SDK's promise and one `then`, its Deadline built only if it fails (bench/:
   * allocation). So does a call under a team turn's Deadline that is otherwise plain (see
   * #turnTimeout). Everything else, and every failure, goes the long way (test/actors/fastPath.test.ts
   * and turnCallPath.test.ts check both give the same outcome).
   */
  callTool(name: string, args: Record<string, unknown>, options: CallOptions): Promise<CallToolResult> {
    const timeout = this.#plainTimeout(options);
    if (timeout !== undefined) return this.#plainCall(name, args, options, timeout, undefined);
    const underTurn = this.#turnTimeout(options);
    return underTurn === undefined
      ? this.#fullCall(name, args, options)
      : this.#plainCall(name, args, options, underTurn, options.deadline?.signal);
  }

  /**
   * The budget of a call under a caller's Deadline (a team turn's) that can take the short way:
   * otherwise plain, with the caller's signal absent or the Deadline's own, and the call's own
   * budget shorter than what the Deadline has left. Then the Deadline's signal is the only
   * cancellation and the call's own budget the only timer, as for a plain call; else undefined.
   */
  #turnTimeout(options: CallOptions): number | undefined {
    const parent = options?.deadline;
    if (parent === undefined || (options.signal !== undefined && options.signal !== parent.signal)) {
      return undefined;
    }
    const timeout = this.#plainTimeout(options, true);
    return timeout !== undefined && !parent.expired && timeout < parent.remaining() ? timeout : undefined;
  }

  /** The budget of a call that can take the short way (`underDeadline`: its signal and deadline checked apart), else undefined. */
  #plainTimeout(options: CallOptions, underDeadline = false): number | undefined {
    const parts = this.#parts;
    if (
      options == null ||
      (!underDeadline && (options.signal !== undefined || options.deadline !== undefined)) ||
      options.onProgress !== undefined ||
      options.resetTimeoutOnProgress === true ||
      parts.clock !== systemClock ||
      parts.options.requestMeta !== undefined ||
      parts.closing ||
      parts.session.client === undefined ||
      !parts.isUsable()
    )
      return undefined;
    const timeout = options.timeout ?? parts.config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return typeof timeout === 'number' && timeout > 0 && timeout <= MAX_TIMER_MS ? timeout : undefined;
  }

  /**
   * The short way: what #fullCall does for such a call, in order (the breaker first, as
   * #breakerFirst would decide; the SDK's timer is the deadline, as #timerOnly would decide), with
   * the Deadline built from the call's start only when the attempt failed. Under a caller's
   * Deadline, its `signal` goes to the SDK: the only other way the call can end early.
   */
  #plainCall(
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<CallToolResult> {
    const parts = this.#parts;
    const callId = ++this.#callSeq;
    const permit = parts.breaker.acquire();
    if (isCircuitOpenError(permit)) return Promise.reject(this.#rejected(permit, name, callId, 1));
    const client = parts.session.client as Client;
    const started = parts.clock.now();
    let request: Promise<CallToolResult>;
    try {
      if (parts.bus.observed) this.#started(name, callId, 1, started);
      request = client.callTool(
        { name, arguments: args },
        signal ? { signal, timeout } : { timeout },
      ) as Promise<CallToolResult>;
    } catch (e) {
      request = Promise.reject(e);
    }
    return request.then(
      (result) => {
        this.#succeeded(result, permit, name, callId, 1, started);
        return result;
      },
      (e: unknown) =>
        this.#plainFailed(e, name, args, options, callId, started, client, permit, timeout, signal),
    );
  }

  /** The first attempt of a plain call failed: judged as the long way judges it, then retried if it may be. */
  async #plainFailed(
    e: unknown,
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
    callId: number,
    started: number,
    client: Client,
    permit: BreakerPermit,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<CallToolResult> {
    // The Deadline the long way builds at the start: this budget from the call's start, and the
    // caller's Deadline's signal.
    const deadline = this.#parts.deadlineFor(name, { timeout, signal }, started);
    try {
      const failure = this.#attemptFailed(
        e,
        name,
        deadline,
        callId,
        1,
        started,
        Math.round(timeout),
        true,
        client,
        true,
        permit,
      );
      return await this.#retryAfter(name, args, options, deadline, callId, failure);
    } catch (e) {
      throw this.#finalError(e, name, options);
    } finally {
      deadline.dispose();
    }
  }

  /** What a call that gave up throws: its error, or "outcome unknown" when a non-repeatable request may have run. */
  #finalError(e: unknown, name: string, options: CallOptions): unknown {
    return this.#repeatable(name, options)
      ? e
      : outcomeUnknownIfSent(e as AzcoreError, this.#unsentCheck, name);
  }

  /** The long way: any call #plainTimeout turns down. */
  async #fullCall(
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
  ): Promise<CallToolResult> {
    const parts = this.#parts;
    const callId = ++this.#callSeq;
    // A breaker that is not closed is asked first when nothing else could stop the call before it
    // (no caller signal or deadline, a valid budget): a rejection then builds nothing else.
    let admitted: BreakerPermit | undefined;
    if (parts.breaker.state !== 'closed' && this.#breakerFirst(options)) {
      const permit = parts.breaker.acquire();
      if (isCircuitOpenError(permit)) throw this.#rejected(permit, name, callId, 1);
      admitted = permit;
    }
    const deadline = parts.deadlineFor(name, options);
    try {
      // The first attempt runs inline: a call that succeeds (or is rejected by the breaker) builds
      // no retry state. A failure hands over to the retry loop, which judges it as its own.
      let failure: unknown;
      try {
        deadline.throwIfExpired();
        const permit = admitted ?? this.#admit(name, callId, 1);
        return await this.#attemptCall(
          name,
          args,
          deadline,
          callId,
          1,
          options,
          permit,
          this.#timerOnly(options),
        );
      } catch (e) {
        failure = e;
      }
      return await this.#retryAfter(name, args, options, deadline, callId, failure);
    } catch (e) {
      throw this.#finalError(e, name, options);
    } finally {
      // A no-op once the attempt reported; frees a probe slot if something threw before it ran.
      admitted?.release();
      deadline.dispose();
    }
  }

  /**
   * Whether the call may run twice: asked only once it failed (the tool list lookup is not made
   * for a call that succeeds).
   */
  #repeatable(name: string, options: CallOptions): boolean {
    return (
      options.idempotent ?? (this.#parts.options.retry?.idempotent === true || this.#tools.safeToRepeat(name))
    );
  }

  /** The first attempt failed with `failure`: rethrown if never retried, else the retry loop takes over. */
  #retryAfter(
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
    deadline: Deadline,
    callId: number,
    failure: unknown,
  ): Promise<CallToolResult> {
    if (isAzcoreError(failure) && NEVER_RETRIED.has(failure.kind)) throw failure;
    return retry(
      (attempt) =>
        this.#attemptCall(
          name,
          args,
          deadline,
          callId,
          attempt,
          options,
          this.#admit(name, callId, attempt),
          false,
        ),
      this.#retryOptions(name, callId, deadline, this.#repeatable(name, options), failure),
    );
  }

  readonly #unsentCheck = (error: AzcoreError): boolean =>
    this.#unsent?.has(error) === true || provenNotSent(error);

  #callBackoffOf(): Backoff {
    this.#callBackoff ??= decorrelatedJitter({ baseMs: 100, maxMs: 2_000 }, this.#parts.options.random);
    return this.#callBackoff;
  }

  /** What the retry loop needs once a call's first attempt failed. */
  #retryOptions(
    tool: string,
    callId: number,
    deadline: Deadline,
    repeatable: boolean,
    failure: unknown,
  ): RetryOptions {
    return {
      maxAttempts: this.#parts.options.retry?.maxAttempts ?? 3,
      shouldRetry: (error) =>
        error.retryable && this.#retryOn.has(error.kind) && (repeatable || this.#unsentCheck(error)),
      backoff: this.#callBackoffOf(),
      deadline,
      clock: this.#parts.clock,
      server: this.#parts.name,
      after: { attempt: 1, error: failure },
      onRetry: ({ attempt, delayMs, error }) =>
        this.#parts.emit({
          type: 'call.retried',
          server: this.#parts.name,
          tool,
          callId,
          attempt,
          delayMs,
          error: summarizeError(error),
        }),
    };
  }

  /**
   * The call's only abort source is its own budget on the wall clock: the SDK's request timeout,
   * set to the same budget, ends it just as well (and sends the same notifications/cancelled), so
   * no AbortController and no second timer are needed. A caller's signal or deadline, an injected
   * clock or a budget renewed by progress keep the Deadline's signal (test/actors/fastPath.test.ts).
   */
  #timerOnly(options: CallOptions): boolean {
    return (
      options.signal === undefined &&
      options.deadline === undefined &&
      options.resetTimeoutOnProgress !== true &&
      this.#parts.clock === systemClock
    );
  }

  /**
   * Asks the breaker for one attempt: returns its permit, or throws the CircuitOpenError (with a
   * `call.rejected` event). While closed: one snapshot read and the permit.
   */
  #admit(tool: string, callId: number, attempt: number): BreakerPermit {
    const permit = this.#parts.breaker.acquire();
    if (isCircuitOpenError(permit)) throw this.#rejected(permit, tool, callId, attempt);
    return permit;
  }

  /**
   * Nothing the long way checks before the breaker can stop this call: no caller signal or
   * deadline (cancelled or spent) and a budget the Deadline accepts and has not spent.
   */
  #breakerFirst(options: CallOptions): boolean {
    const timeout = options.timeout ?? this.#parts.config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return (
      options.signal === undefined &&
      options.deadline === undefined &&
      options.resetTimeoutOnProgress !== true &&
      typeof timeout === 'number' &&
      timeout > 0 &&
      (timeout <= MAX_TIMER_MS || timeout === Number.POSITIVE_INFINITY)
    );
  }

  /** `call.started`, built as one literal; the caller asks `bus.observed` first (no event without a listener). */
  #started(tool: string, callId: number, attempt: number, at: number): void {
    const parts = this.#parts;
    parts.bus.emit({
      type: 'call.started',
      at,
      source: parts.source,
      server: parts.name,
      tool,
      callId,
      attempt,
    });
  }

  /** The breaker's rejection of one attempt, reported as a `call.rejected` event. */
  #rejected(rejected: CircuitOpenError, tool: string, callId: number, attempt: number): CircuitOpenError {
    if (this.#parts.bus.observed) {
      this.#parts.bus.emit({
        type: 'call.rejected',
        at: this.#parts.clock.now(),
        source: this.#parts.source,
        server: this.#parts.name,
        tool,
        callId,
        attempt,
        error: summarizeError(rejected),
        retryAt: rejected.retryAt,
      });
    }
    return rejected;
  }

  async #attemptCall(
    tool: string,
    args: Record<string, unknown>,
    deadline: Deadline,
    callId: number,
    attempt: number,
    options: CallOptions,
    permit: BreakerPermit,
    timerOnly: boolean,
  ): Promise<CallToolResult> {
    const parts = this.#parts;
    const started = parts.clock.now();
    const budgetMs = Math.round(deadline.remaining());
    if (parts.bus.observed) this.#started(tool, callId, attempt, started);
    // Started before close(): a close() now cancels it (a call made after close() fails CLOSED).
    const beforeClose = !parts.closing;
    let client: Client | undefined;
    try {
      // Optional call: without the option nothing is evaluated or allocated here.
      const meta = parts.options.requestMeta?.({
        method: 'tools/call',
        server: parts.name,
        tool,
        callId,
        attempt,
      });
      client =
        parts.session.client && parts.isUsable() ? parts.session.client : await this.#waitUnsent(deadline);
      const onProgress = options.onProgress;
      const renew = options.resetTimeoutOnProgress === true;
      const params = meta ? { name: tool, arguments: args, _meta: meta } : { name: tool, arguments: args };
      const result = (await client.callTool(
        params,
        timerOnly && !onProgress
          ? // The SDK's timer is the deadline (see #timerOnly).
            { timeout: clampTimerMs(Math.max(1, deadline.remaining())) }
          : {
              ...(timerOnly ? {} : { signal: deadline.signal }),
              // The deadline (on the injected clock) aborts first and names the step; this is a backstop.
              timeout: timerOnly
                ? clampTimerMs(Math.max(1, deadline.remaining()))
                : clampTimerMs(Math.max(1, deadline.remaining()) + SDK_TIMEOUT_SLACK_MS),
              ...(onProgress || renew
                ? {
                    // Our Deadline enforces the total; the SDK's timeout stays a backstop that progress resets.
                    resetTimeoutOnProgress: renew,
                    onprogress: (p: CallProgress) => {
                      if (renew) deadline.renew();
                      onProgress?.({ progress: p.progress, total: p.total, message: p.message });
                    },
                  }
                : {}),
            },
      )) as CallToolResult;
      this.#succeeded(result, permit, tool, callId, attempt, started);
      return result;
    } catch (e) {
      throw this.#attemptFailed(
        e,
        tool,
        deadline,
        callId,
        attempt,
        started,
        budgetMs,
        beforeClose,
        client,
        timerOnly,
        permit,
      );
    }
  }

  /** A successful answer: the breaker's verdict and the `call.succeeded` event. */
  #succeeded(
    result: CallToolResult,
    permit: BreakerPermit,
    tool: string,
    callId: number,
    attempt: number,
    started: number,
  ): void {
    const parts = this.#parts;
    const isError = result.isError === true;
    if (isError && parts.options.toolErrorsTripBreaker) permit.failure();
    else permit.success();
    if (parts.bus.observed) {
      const at = parts.clock.now();
      parts.bus.emit({
        type: 'call.succeeded',
        at,
        source: parts.source,
        server: parts.name,
        tool,
        callId,
        attempt,
        durationMs: at - started,
        isError,
      });
    }
  }

  /** A failed attempt, judged: the typed error to throw, told to the breaker, the machine and the bus. */
  #attemptFailed(
    e: unknown,
    tool: string,
    deadline: Deadline,
    callId: number,
    attempt: number,
    started: number,
    budgetMs: number,
    beforeClose: boolean,
    client: Client | undefined,
    timerOnly: boolean,
    permit: BreakerPermit,
  ): AzcoreError {
    const parts = this.#parts;
    // Timer-only: the SDK's timeout was this call's budget running out, whatever the clock says.
    if (timerOnly && isOwnRequestTimeout(e, deadline)) deadline.expire();
    // A server may echo a secret of its config in its error text: the caller gets it masked.
    const classified = redactedError(
      classifyError(e, { server: parts.name, signal: deadline.signal, timeoutMs: budgetMs }),
      parts.bus.redactor,
    );
    // Judged by what happened: a local close() is a cancellation, a client this side replaced
    // (re-initializing an expired session) was interrupted here; neither is the server's fault.
    const cancelledByClose = beforeClose && parts.closing;
    const error = cancelledByClose ? closedWhileRunning(classified, tool) : classified;
    const local = cancelledByClose || (client !== undefined && parts.session.closedLocally(client));
    permit.failure(error, { local });
    this.#reactToCallError(error);
    parts.emit({
      type: 'call.failed',
      server: parts.name,
      tool,
      callId,
      attempt,
      durationMs: parts.clock.now() - started,
      error: summarizeError(error),
    });
    return error;
  }

  async #waitUnsent(deadline: Deadline) {
    try {
      return await waitForClient(this.#parts, { deadline });
    } catch (e) {
      const error = redactedError(
        classifyError(e, { server: this.#parts.name, signal: deadline.signal }),
        this.#parts.bus.redactor,
      );
      this.#unsent ??= new WeakSet();
      this.#unsent.add(error);
      throw error;
    }
  }

  /** Failures a call observes that say something about the connection itself, told to the machine. */
  #reactToCallError(error: AzcoreError): void {
    if (this.#unsent?.has(error)) return;
    const type =
      error.code === 'SESSION_EXPIRED'
        ? 'SESSION_EXPIRED'
        : error.code === 'AUTH_REQUIRED'
          ? 'LOGIN_REQUIRED'
          : error.kind === 'auth'
            ? 'AUTH_FAILED'
            : // The transport is broken (refused, socket reset, process gone); an HTTP transport never
              // reports this itself. A 5xx means the server is alive, so it is left to the breaker.
              error.kind === 'connection' && !error.code.startsWith('HTTP_')
              ? 'TRANSPORT_CLOSED'
              : undefined;
    if (type === undefined) return;
    this.#parts.lastFailure = error;
    this.#parts.actor.send({ type, at: this.#parts.clock.now(), reason: summarizeError(error) });
  }
}
