import type { BaseMessage } from '@langchain/core/messages';
import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import type { Logger } from '../observe/logger.js';
import { executeSafely } from '../recovery/executeSafely.js';
import type { InvokableTeam } from '../recovery/InvokableTeam.js';
import type { MCPTeam } from '../team/MCPTeam.js';
import type { MCPTeamBuilder } from '../team/MCPTeamBuilder.js';
import { type CapabilityMatchers, missingNote } from './capabilityMatchers.js';
import {
  availableCapabilities,
  type CapabilityMap,
  detectCapabilities,
  requiredCapabilities,
  resolveCapabilities,
} from './detectCapabilities.js';

/** A team whose live tools can be listed: an {@link MCPTeam}, or anything shaped like one. */
export interface ToolListingTeam extends InvokableTeam {
  getMcpToolNames(): string[];
}

/** Options of {@link CapabilityAwareTeam}. */
export interface CapabilityAwareOptions {
  /** Extra or replacing capabilities (name -> RegExp, predicate or full definition). */
  capabilities?: CapabilityMatchers | undefined;
  /** Budget of each turn. Default: the team's. */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
}

interface AdaptiveBase {
  /** Capabilities the task needs. */
  readonly required: string[];
  /** Capabilities available when the task ran (all of them, not only the required ones). */
  readonly available: string[];
  /** Required capabilities that were not available. */
  readonly missing: string[];
  /** The text sent to the team: the task, with a note per missing capability. */
  readonly task: string;
}

/** Ran with everything the task needs (`success`) or without some of it, the model told which (`degraded`). */
export interface AdaptiveDone extends AdaptiveBase {
  readonly status: 'success' | 'degraded';
  readonly result: { messages: BaseMessage[] };
  readonly answer: string;
}

/** The turn itself failed. */
export interface AdaptiveFailed extends AdaptiveBase {
  readonly status: 'failed';
  readonly error: AzcoreError;
  readonly errorType: ErrorKind;
}

export type AdaptiveResult = AdaptiveDone | AdaptiveFailed;

/**
 * A team that adapts tasks to the capabilities online now (the guide's `CapabilityAwareTeam`).
 * Capabilities are detected from the live tools at every call, not once at construction as in the
 * guide: a server that was up then may be down now, and one that was down may be back.
 *
 * @example
 * const adaptive = await CapabilityAwareTeam.build(
 *   new MCPTeamBuilder('adaptive_team').withLlm(model).withMcpServer(...).withMcpServerHttp(url, { optional: true }),
 * );
 * const run = await adaptive.executeAdaptive('Search and save results to file');
 * if (run.status === 'degraded') console.warn(`ran without: ${run.missing.join(', ')}`);
 */
export class CapabilityAwareTeam<T extends ToolListingTeam = ToolListingTeam> {
  /** The wrapped team (clean it up when done). */
  readonly team: T;
  readonly #options: CapabilityAwareOptions;

  constructor(team: T, options: CapabilityAwareOptions = {}) {
    this.team = team;
    this.#options = options;
  }

  /** Builds with `skipFailedServers(true)` (optional servers may be down) and wraps the team. */
  static async build(
    builder: MCPTeamBuilder,
    options: CapabilityAwareOptions = {},
  ): Promise<CapabilityAwareTeam<MCPTeam>> {
    const team = await builder.skipFailedServers(true).build();
    return new CapabilityAwareTeam(team, options);
  }

  /** Each capability's live tools, now. */
  detectCapabilities(): CapabilityMap {
    return detectCapabilities(this.team.getMcpToolNames(), this.#options.capabilities);
  }

  /** The capabilities `task` needs. */
  requiredCapabilities(task: string): string[] {
    return requiredCapabilities(task, this.#options.capabilities);
  }

  /**
   * Runs `task`. When a capability it needs is missing now, the task goes out with a note per
   * missing capability telling the model how to do without it, and the result is `degraded`.
   * Never throws.
   */
  async executeAdaptive(
    task: string,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<AdaptiveResult> {
    const available = availableCapabilities(this.detectCapabilities());
    const required = this.requiredCapabilities(task);
    const missing = required.filter((c) => !available.includes(c));
    const sent = missing.length === 0 ? task : this.#withNotes(task, missing);
    if (missing.length > 0) {
      this.#options.logger?.warn(
        { operation: 'executeAdaptive', missing, available },
        'missing capabilities',
      );
    }
    const run = await executeSafely(this.team, sent, {
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? this.#options.timeoutMs,
      logger: this.#options.logger,
    });
    const base = { required, available, missing, task: sent };
    if (run.status === 'failed')
      return { status: 'failed', ...base, error: run.error, errorType: run.errorType };
    return {
      status: missing.length === 0 ? 'success' : 'degraded',
      ...base,
      result: run.result,
      answer: run.answer,
    };
  }

  #withNotes(task: string, missing: readonly string[]): string {
    const definitions = resolveCapabilities(this.#options.capabilities);
    const notes = missing.map((name) => {
      const definition = definitions[name];
      return `Note: ${definition ? missingNote(name, definition) : `${name} is unavailable.`}`;
    });
    return `${notes.join('\n')}\n\n${task}`;
  }
}
