import type { Tool } from '@modelcontextprotocol/client';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import { redactedError } from '../errors/redactedError.js';
import { summarizeError } from '../events/EventBus.js';
import type { ListOperation } from '../events/RuntimeEvent.js';
import type { ConnectionParts } from './connectionParts.js';
import type { CallOptions } from './serverConnectionOptions.js';
import { waitForClient } from './waitForClient.js';

/**
 * The tool list of one server: fetched on first use and cached until the server announces a change
 * (the machine's `refreshTools`), the connection is renewed or lost (its `forgetToolList`), or the
 * `ttlMs` freshness hint of the listing (2026-07-28) runs out on the injected clock. Every list
 * operation of the server is reported here as one `list.completed` event.
 */
export class ToolList {
  readonly #parts: ConnectionParts;
  #tools: Tool[] | undefined;
  /** When a listing's `ttlMs` runs out (clock time); undefined: fresh until forgotten (no boxed Infinity per list). */
  #freshUntil: number | undefined;
  /**
   * The tool count of the last `tools.changed` event: what views drawn from events (the dashboard's
   * cards) last saw. Forgotten with the cache, so the first listing after a reconnect announces.
   */
  #announced: number | undefined;
  /** The machine's refetch in flight: a listing asked for meanwhile waits for it, not a second fetch. */
  #refreshing: Promise<Tool[]> | undefined;

  constructor(parts: ConnectionParts) {
    this.#parts = parts;
  }

  /** The cached list, if one is loaded; no I/O. */
  get cached(): Tool[] | undefined {
    return this.#tools;
  }

  /** The server declares the tool read-only or idempotent: running it twice is harmless. */
  safeToRepeat(tool: string): boolean {
    const annotations = this.#tools?.find((t) => t.name === tool)?.annotations;
    return annotations?.readOnlyHint === true || annotations?.idempotentHint === true;
  }

  /**
   * The list, from the cache while fresh, else fetched (pages followed up to the SDK's cap).
   * `announce`: a `tools.changed` event follows a fetched list even with the count unchanged.
   */
  async list(options: CallOptions, announce: boolean): Promise<Tool[]> {
    const parts = this.#parts;
    const clock = parts.clock;
    const started = clock.now();
    if (this.#tools && (this.#freshUntil === undefined || started < this.#freshUntil)) {
      this.completed('tools/list', clock.now() - started, this.#tools.length, true);
      return this.#tools;
    }
    if (this.#refreshing) return this.#refreshing;
    const deadline = parts.deadlineFor('tools/list', options);
    try {
      const client = await waitForClient(parts, { deadline });
      const listing = await client.listTools(undefined, {
        signal: deadline.signal,
        timeout: Math.max(1, deadline.remaining()),
        cacheMode: 'refresh',
      });
      // SDK v2 answers a listing on a client closed meanwhile with `{ tools: [] }`: not a tool list.
      if (parts.session.client !== client) {
        throw new ConnectionError('The connection closed while listing tools.', {
          server: parts.name,
          code: 'NOT_CONNECTED',
          hint: 'The runtime reconnects on its own; the list is fetched again when it is ready.',
        });
      }
      const ttlMs = (listing as { ttlMs?: unknown }).ttlMs;
      this.#freshUntil =
        typeof ttlMs === 'number' && Number.isFinite(ttlMs) ? clock.now() + Math.max(0, ttlMs) : undefined;
      this.#tools = listing.tools;
      const count = listing.tools.length;
      this.completed('tools/list', clock.now() - started, count, false);
      if (announce || count !== this.#announced) {
        this.#announced = count;
        parts.emit({ type: 'tools.changed', server: parts.name, tools: count });
      }
      return listing.tools;
    } catch (e) {
      const error = redactedError(
        classifyError(e, { server: parts.name, signal: deadline.signal }),
        parts.bus.redactor,
      );
      this.completed('tools/list', clock.now() - started, undefined, false, error);
      throw error;
    } finally {
      deadline.dispose();
    }
  }

  /**
   * The machine's `refreshTools` (after a list_changed): refetch a list that was fetched, and say so
   * (`tools.changed`) whatever the count. Rejects if the listing fails; cancelled when the
   * connection is left.
   */
  async refresh(signal: AbortSignal): Promise<void> {
    // Nothing listed since the connection came up (or a previous refetch is still running): the
    // next listing fetches the new list anyway, so an announcement alone fetches nothing.
    if (this.#tools === undefined) return;
    this.#tools = undefined;
    const fetching = this.list({ signal }, true);
    this.#refreshing = fetching;
    try {
      await fetching;
    } catch (e) {
      if (!signal.aborted) this.#parts.log.warn({ err: String(e) }, 'tools refresh failed');
      throw e;
    } finally {
      if (this.#refreshing === fetching) this.#refreshing = undefined;
    }
  }

  /** The machine's `forgetToolList`: the cached list, and what views were told of it, no longer hold. */
  forget(): void {
    this.#tools = undefined;
    this.#refreshing = undefined;
    this.#announced = undefined;
  }

  /** One `list.completed` event, built only when someone listens. */
  completed(
    operation: ListOperation,
    durationMs: number,
    count: number | undefined,
    fromCache: boolean,
    error?: AzcoreError,
  ): void {
    const parts = this.#parts;
    if (!parts.bus.observed) return;
    parts.bus.emit({
      type: 'list.completed',
      at: parts.clock.now(),
      source: parts.source,
      server: parts.name,
      operation,
      durationMs,
      ok: error === undefined,
      ...(count !== undefined ? { count } : {}),
      fromCache,
      ...(error ? { error: summarizeError(error) } : {}),
    });
  }
}
