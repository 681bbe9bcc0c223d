import type { StructuredToolInterface } from '@langchain/core/tools';
import type { Tool } from '@modelcontextprotocol/client';
import type { ServerConnection } from '../actors/ServerConnection.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { isCircuitOpenError } from '../errors/CircuitOpenError.js';
import { classifyError } from '../errors/classifyError.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { Deadline } from '../resilience/Deadline.js';
import { untilAborted } from '../resilience/untilAborted.js';
import { createMcpTool, type McpStructuredTool } from './createMcpTool.js';
import { capText } from './formatToolResult.js';
import {
  DEFAULT_LIST_BUDGET_MS,
  MAX_INPUT_SCHEMA_CHARS,
  MAX_INPUT_SCHEMA_DEPTH,
  MAX_REASON_CHARS,
  MAX_TOOL_DEFINITION_CHARS_PER_TURN,
  MAX_TOOL_NAME_CHARS,
  MAX_TOOLS_PER_SERVER,
  MAX_TOOLS_PER_TURN,
} from './toolLimits.js';
import { qualifiedToolName } from './toolNames.js';
import { releaseInputSchema, retainInputSchema, schemaDepth } from './validateArguments.js';

/** One server as the model's capability list shows it. */
export interface ServerCapability {
  server: string;
  available: boolean;
  state: string;
  /** Tools of this server offered this turn. */
  tools: string[];
  /** Tools of this server the model does not get this turn, and why (listing failed, limits). */
  missing?: string | undefined;
}

/**
 * The tools that may be offered to the model right now. Shared: {@link ToolRegistry.live} returns
 * the same object until something it is made of changes, so a reader can compare it by identity.
 */
export interface LiveTools {
  readonly tools: readonly StructuredToolInterface[];
  /** Qualified tool name -> server name, for every tool known (live or not). */
  readonly serverOf: ReadonlyMap<string, string>;
  readonly capabilities: readonly ServerCapability[];
}

/** What {@link ToolRegistry.live} reads of one server: the same inputs give the same answer. */
interface LiveInputs {
  cachedTools: readonly Tool[] | undefined;
  available: boolean;
  state: string;
  breaker: string;
  listingFailure: AzcoreError | undefined;
}

/** Options of {@link ToolRegistry}. */
export interface ToolRegistryOptions {
  toolTimeoutMs?: number | undefined;
  /** Budget of one tools/list of a server (its connect timeout); default {@link DEFAULT_LIST_BUDGET_MS}. */
  listBudgetMs?: ((server: string) => number) | undefined;
  clock?: Clock | undefined;
  /** Called after each successful tool listing of a server (the team announces late joiners with it). */
  onListed?: ((server: string) => void) | undefined;
  /**
   * Whether a turn waits for this server's first listing. Default: yes. A team says no for an
   * optional server still joining: its listing runs in the background and its tools join later,
   * so a server whose tools/list hangs never delays a turn.
   */
  turnWaitsFor?: ((server: string) => boolean) | undefined;
}

interface Entry {
  source: readonly Tool[];
  tools: McpStructuredTool[];
  /** Characters each tool's definition costs the prompt (name, description, schema JSON). */
  sizes: number[];
  /** Why some listed tools are never offered (per-server limits). */
  leftOut: string | undefined;
}

/** The tool listing of one server: in flight, or how the last one failed. */
interface Listing {
  pending?: Promise<void> | undefined;
  failure?: AzcoreError | undefined;
  failures: number;
  retryAt: number;
}

/** A failed listing is tried again after its budget times 2^failures, at most this long. */
const MAX_LIST_RETRY_MS = 5 * 60_000;

/**
 * Turns each server's cached MCP tool list into LangChain tools named `<server>__<tool>` and says
 * which are live. Tool lists are fetched only when a server's cache is empty (first connect,
 * reconnect, list_changed): no turn pays for a tools/list round trip otherwise.
 *
 * A server is third-party code, so nothing it lists may stall or flood a turn: each listing is
 * bounded by the server's list budget (its connect timeout, capped by the turn's deadline); a
 * listing that fails on the server's side (timeout, connection, protocol, resource) counts against
 * its breaker; a turn waits only for a server's first attempt, later ones run in the background;
 * the tools offered are bounded per server and per turn (`toolLimits.ts`), shared round-robin so
 * a flooding server cannot crowd out the others, and the capability section says what is missing.
 */
export class ToolRegistry {
  readonly #servers: readonly ServerConnection[];
  readonly #toolTimeoutMs: number | undefined;
  readonly #listBudgetMs: (server: string) => number;
  readonly #clock: Clock;
  readonly #onListed: ((server: string) => void) | undefined;
  readonly #turnWaitsFor: (server: string) => boolean;
  readonly #entries = new Map<string, Entry>();
  readonly #listings = new Map<string, Listing>();
  readonly #serverOf = new Map<string, string>();
  /** The last answer of {@link live} and, per server, what it was computed from. */
  #live: LiveTools | undefined;
  readonly #liveInputs: LiveInputs[] = [];

  constructor(servers: readonly ServerConnection[], options: ToolRegistryOptions = {}) {
    this.#servers = servers;
    this.#toolTimeoutMs = options.toolTimeoutMs;
    this.#listBudgetMs = options.listBudgetMs ?? (() => DEFAULT_LIST_BUDGET_MS);
    this.#clock = options.clock ?? systemClock;
    this.#onListed = options.onListed;
    this.#turnWaitsFor = options.turnWaitsFor ?? (() => true);
  }

  /**
   * Loads the tool lists of available servers whose cache is empty, waiting at most for each
   * server's list budget and never past `deadline`; failures just leave the server's tools out.
   * Never rejects.
   */
  async refresh(deadline?: Deadline): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const server of this.#servers) {
      if (!server.available || server.cachedTools) continue;
      const listing = this.#listingOf(server.name);
      // A turn waits for a server's first listing only; a retry after a failure runs in the background.
      const first = listing.failure === undefined;
      const pending = listing.pending ?? this.#startListing(server, listing, deadline);
      if (pending && first && this.#turnWaitsFor(server.name)) waits.push(pending);
    }
    if (waits.length === 0) return;
    const all = Promise.all(waits).then(() => undefined);
    await (deadline ? untilAborted(all, deadline.signal) : all).catch(() => undefined);
  }

  /** Whether {@link refresh} has anything to do: some server is available without a tool list. */
  needsRefresh(): boolean {
    return this.#servers.some((server) => server.available && !server.cachedTools);
  }

  /**
   * Starts listing one server's tools in the background: the server just came online (connected,
   * reconnected, or its breaker let a probe through), so a failed listing's retry wait is over.
   */
  prefetch(name: string): void {
    const server = this.#servers.find((s) => s.name === name);
    if (!server?.available || server.cachedTools) return;
    const listing = this.#listingOf(name);
    listing.retryAt = 0;
    if (!listing.pending) this.#startListing(server, listing, undefined);
  }

  /**
   * Tools of servers that are available now (within the turn's limits), and a summary of all servers.
   * Called before every model turn: the answer is computed again only when something it depends on
   * changed (a server's state, availability, breaker state, tool list or listing failure).
   */
  live(): LiveTools {
    if (this.#live !== undefined && this.#liveInputsSame()) return this.#live;
    this.#live = this.#computeLive();
    return this.#live;
  }

  /** True when no server's inputs changed since the last answer (no allocation: runs every turn). */
  #liveInputsSame(): boolean {
    const servers = this.#servers;
    for (let i = 0; i < servers.length; i++) {
      const server = servers[i]!;
      const seen = this.#liveInputs[i];
      if (
        seen === undefined ||
        seen.cachedTools !== server.cachedTools ||
        seen.available !== server.available ||
        seen.state !== server.state ||
        seen.breaker !== server.breaker.state ||
        seen.listingFailure !== this.#listings.get(server.name)?.failure
      ) {
        return false;
      }
    }
    return true;
  }

  /** Computes the answer of {@link live}, its inputs recorded first (so a change while computing is seen next time). */
  #computeLive(): LiveTools {
    this.#servers.forEach((server, i) => {
      this.#liveInputs[i] = {
        cachedTools: server.cachedTools,
        available: server.available,
        state: server.state,
        breaker: server.breaker.state,
        listingFailure: this.#listings.get(server.name)?.failure,
      };
    });
    const rows = this.#servers.map((server) => {
      const entry = this.#entryFor(server);
      return { server, entry, available: server.available && entry !== undefined };
    });
    // Round-robin over servers, so one server with thousands of tools cannot starve the others.
    const offered = rows.map(() => [] as McpStructuredTool[]);
    const cut = rows.map(() => 0);
    let count = 0;
    let chars = 0;
    for (let i = 0; ; i++) {
      let more = false;
      rows.forEach((row, r) => {
        const tool = row.available ? row.entry?.tools[i] : undefined;
        if (!tool) return;
        more = true;
        const size = row.entry?.sizes[i] ?? 0;
        if (count >= MAX_TOOLS_PER_TURN || chars + size > MAX_TOOL_DEFINITION_CHARS_PER_TURN) {
          cut[r] = (cut[r] ?? 0) + 1;
          return;
        }
        offered[r]?.push(tool);
        count++;
        chars += size;
      });
      if (!more) break;
    }
    const tools: StructuredToolInterface[] = [];
    const capabilities: ServerCapability[] = rows.map(({ server, entry, available }, r) => {
      const mine = offered[r] ?? [];
      tools.push(...mine);
      const missing = [
        this.#listingNote(server),
        entry?.leftOut,
        cut[r]
          ? `${cut[r]} more left out this turn (turn limits: ${MAX_TOOLS_PER_TURN} tools, ${MAX_TOOL_DEFINITION_CHARS_PER_TURN} characters of definitions)`
          : undefined,
      ].filter((note): note is string => note !== undefined);
      return {
        server: server.name,
        available,
        state:
          server.breaker.state === 'closed'
            ? server.state
            : `${server.state}, breaker ${server.breaker.state}`,
        tools: (available ? mine : (entry?.tools ?? [])).map((t) => t.name),
        ...(missing.length > 0 ? { missing: missing.join('; ') } : {}),
      };
    });
    return { tools, serverOf: this.#serverOf, capabilities };
  }

  /** Every qualified tool name known so far, live or not. */
  allNames(): string[] {
    return [...this.#serverOf.keys()];
  }

  /** The failure of a server's last tool listing, while it has no tool list. */
  listingFailure(name: string): AzcoreError | undefined {
    return this.#listings.get(name)?.failure;
  }

  #listingOf(name: string): Listing {
    let listing = this.#listings.get(name);
    if (!listing) {
      listing = { failures: 0, retryAt: 0 };
      this.#listings.set(name, listing);
    }
    return listing;
  }

  /** Starts one bounded listing, unless a failed one is still waiting for its retry time. */
  #startListing(
    server: ServerConnection,
    listing: Listing,
    parent: Deadline | undefined,
  ): Promise<void> | undefined {
    if (listing.failure && this.#clock.now() < listing.retryAt) return undefined;
    const budgetMs = this.#listBudgetMs(server.name);
    const pending = this.#list(server, listing, budgetMs, parent).finally(() => {
      listing.pending = undefined;
    });
    listing.pending = pending;
    return pending;
  }

  async #list(server: ServerConnection, listing: Listing, budgetMs: number, parent: Deadline | undefined) {
    // A listing is a request like a call: the breaker admits it and hears how it went.
    const permit = server.breaker.acquire();
    if (isCircuitOpenError(permit)) {
      this.#failed(listing, permit, budgetMs);
      return;
    }
    const deadline = parent
      ? parent.child(budgetMs, 'tools/list', { server: server.name })
      : Deadline.after(budgetMs, { clock: this.#clock, step: 'tools/list', server: server.name });
    try {
      await untilAborted(server.listTools({ deadline, timeout: budgetMs }), deadline.signal);
      permit.success();
      listing.failure = undefined;
      listing.failures = 0;
      this.#onListed?.(server.name);
    } catch (e) {
      const error = classifyError(e, { server: server.name, signal: deadline.signal });
      // The turn ran out or was cancelled: no verdict on the server, and the next turn tries again.
      if (parent?.expired) {
        permit.release();
        return;
      }
      permit.failure(error);
      this.#failed(listing, error, budgetMs);
    } finally {
      permit.release(); // a no-op once reported
      deadline.dispose();
    }
  }

  #failed(listing: Listing, error: AzcoreError, budgetMs: number): void {
    listing.failure = error;
    listing.failures++;
    listing.retryAt = this.#clock.now() + Math.min(budgetMs * 2 ** (listing.failures - 1), MAX_LIST_RETRY_MS);
  }

  #listingNote(server: ServerConnection): string | undefined {
    if (server.cachedTools) return undefined;
    const failure = this.#listings.get(server.name)?.failure;
    if (!failure) return undefined;
    const why = capText(failure.message.replace(/\s+/g, ' '), MAX_REASON_CHARS);
    return `its tools could not be listed (${failure.name}: ${why})`;
  }

  #entryFor(server: ServerConnection): Entry | undefined {
    const source = server.cachedTools;
    const entry = this.#entries.get(server.name);
    if (!source || entry?.source === source) return entry;
    const fresh = this.#build(server, source, entry);
    this.#entries.set(server.name, fresh);
    return fresh;
  }

  /** Wraps the acceptable tools of a listing (per-server limits) and releases the previous ones. */
  #build(server: ServerConnection, source: readonly Tool[], previous: Entry | undefined): Entry {
    for (const t of previous?.tools ?? []) this.#serverOf.delete(t.name);
    const taken = new Set(this.#serverOf.keys());
    const tools: McpStructuredTool[] = [];
    const sizes: number[] = [];
    const skipped = { count: 0, name: 0, schema: 0 };
    for (const tool of source) {
      if (tools.length >= MAX_TOOLS_PER_SERVER) {
        skipped.count++;
        continue;
      }
      if (typeof tool.name !== 'string' || tool.name.length === 0 || tool.name.length > MAX_TOOL_NAME_CHARS) {
        skipped.name++;
        continue;
      }
      const schemaChars = jsonLength(tool.inputSchema);
      if (
        schemaChars > MAX_INPUT_SCHEMA_CHARS ||
        schemaDepth(tool.inputSchema, MAX_INPUT_SCHEMA_DEPTH + 1) > MAX_INPUT_SCHEMA_DEPTH
      ) {
        skipped.schema++;
        continue;
      }
      const name = qualifiedToolName(server.name, tool.name, taken);
      taken.add(name);
      this.#serverOf.set(name, server.name);
      const wrapped = createMcpTool(server, tool, {
        name,
        lazyValidation: true,
        ...(this.#toolTimeoutMs !== undefined ? { timeoutMs: this.#toolTimeoutMs } : {}),
      });
      retainInputSchema(tool.inputSchema);
      tools.push(wrapped);
      sizes.push(name.length + wrapped.description.length + schemaChars);
    }
    // Released after the new ones are retained, so a schema both lists share stays compiled.
    for (const t of previous?.tools ?? []) releaseInputSchema(t.mcpTool.inputSchema);
    const notes = [
      skipped.count
        ? `${skipped.count} of ${source.length} listed tools left out (limit ${MAX_TOOLS_PER_SERVER} per server)`
        : undefined,
      skipped.name
        ? `${skipped.name} with an empty name or one over ${MAX_TOOL_NAME_CHARS} characters left out`
        : undefined,
      skipped.schema
        ? `${skipped.schema} with an input schema over ${MAX_INPUT_SCHEMA_CHARS} characters or ${MAX_INPUT_SCHEMA_DEPTH} levels left out`
        : undefined,
    ].filter((note): note is string => note !== undefined);
    return { source, tools, sizes, leftOut: notes.length > 0 ? notes.join('; ') : undefined };
  }
}

function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
