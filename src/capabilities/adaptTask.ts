import { ResourceError } from '../errors/ResourceError.js';
import { definePolicy, type Policy } from '../policy/Policy.js';
import { type CapabilityMatchers, missingNote } from './capabilityMatchers.js';
import {
  availableCapabilities,
  detectCapabilities,
  requiredCapabilities,
  resolveCapabilities,
} from './detectCapabilities.js';

/** A team whose live tools can be listed: an `MCPTeam`, or anything shaped like one. */
export interface ToolListingTeam {
  getMcpToolNames(): string[];
}

/** A task fitted to the capabilities online now: what to send, what it needs, and what is missing. */
export interface AdaptedTask {
  /** The text to run: the task, after a note per missing capability telling the model how to do without it. */
  readonly task: string;
  /** Capabilities the task needs. */
  readonly required: string[];
  /** Capabilities available now (all of them, not only the required ones). */
  readonly available: string[];
  /** Required capabilities that are not available. */
  readonly missing: string[];
  /**
   * Marks an answer `degraded` when a capability was missing (a failed attempt `capability <name>`
   * per missing capability, error kind `resource`, code `CAPABILITY_MISSING`); does nothing otherwise.
   */
  readonly policy: Policy;
}

/**
 * The guide's capability-aware execution for the one runner: detects the capabilities the live tools
 * provide now (a server that is down offers none), the ones `task` needs, and writes a note per
 * missing one ahead of the task. Run `task` with `team.run`; put `policy` in its pipeline so the
 * answer is `degraded` (reasons name each missing capability) when something was missing. Detect
 * at each call, not once: a server that was up may be down now, and one that was down may be back.
 *
 * @example
 * const adapted = adaptTask(team, 'Search and save results to file', { capabilities: { memory: /^memory__/ } });
 * const outcome = await team.run(adapted.task, { policy: wrap(adapted.policy, timeout(60_000)) });
 * if (outcome.status === 'degraded') console.warn(`ran without: ${adapted.missing.join(', ')}`, outcome.reasons);
 */
export function adaptTask(
  team: ToolListingTeam,
  task: string,
  options: { capabilities?: CapabilityMatchers | undefined } = {},
): AdaptedTask {
  const matchers = options.capabilities;
  const available = availableCapabilities(detectCapabilities(team.getMcpToolNames(), matchers));
  const required = requiredCapabilities(task, matchers);
  const missing = required.filter((c) => !available.includes(c));
  const definitions = resolveCapabilities(matchers);
  const notes = missing.map((name) => {
    const definition = definitions[name];
    return `Note: ${definition ? missingNote(name, definition) : `${name} is unavailable.`}`;
  });
  const sent = notes.length === 0 ? task : `${notes.join('\n')}\n\n${task}`;
  return { task: sent, required, available, missing, policy: missingCapabilities(missing) };
}

function missingCapabilities(missing: readonly string[]): Policy {
  return definePolicy(async (work, ctx) => {
    const value = await work(ctx);
    const errors = missing.map(
      (name) =>
        new ResourceError(`The ${name} capability was unavailable: no live tool provides it.`, {
          code: 'CAPABILITY_MISSING',
          hint: 'The model was told to work without it; its servers may come back.',
        }),
    );
    for (const [i, error] of errors.entries()) {
      ctx.record({ source: `capability ${missing[i]}`, ok: false, durationMs: 0, error });
    }
    const [first] = errors;
    if (first) ctx.degrade({ source: ctx.source, error: first });
    return value;
  });
}
