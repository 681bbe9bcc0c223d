import type { Snapshot } from 'xstate';
import { z } from 'zod';
import { SAMPLING_BUCKETS } from '../../machines/breakerStrategies.js';
import { type CircuitBreakerConfig, resumeBreakerSnapshot } from '../../machines/circuitBreaker.machine.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';

/**
 * How far in the future a restored timestamp may lie: the clocks of the host that saved a snapshot
 * and of the one restoring it differ a little (NTP steps, a VM resumed). Within it a timestamp is
 * clamped to now; beyond it the snapshot is refused.
 */
export const MAX_RESTORE_CLOCK_SKEW_MS = 60_000;

/** Where a restored snapshot comes from and when it is restored, for the checks and the messages. */
export interface BreakerRestoreContext {
  /** The breaker's id, named in the error. */
  breaker: string;
  /** The injected clock's now (epoch ms). */
  now: number;
  server?: string | undefined;
}

// Built on the first restore, not at import (zod schemas cost milliseconds to build).
function buildSnapshotSchema() {
  const count = z.int().nonnegative();
  /** Epoch ms. zod's number already refuses NaN and ±Infinity. */
  const epochMs = z.number().nonnegative();

  const bucket = z.object({ start: epochMs, successes: count, failures: count });

  const strategyState = z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('consecutive'), failures: count }),
    z.object({ kind: z.literal('count'), history: z.string().regex(/^[SF]*$/) }),
    z.object({
      kind: z.literal('sampling'),
      buckets: z
        .array(bucket)
        .max(SAMPLING_BUCKETS)
        .refine((bs) => bs.every((b, i) => i === 0 || b.start > (bs[i - 1]?.start ?? 0)), {
          message: 'increasing',
        }),
    }),
  ]);

  // Settings saved with the snapshot (strategy, thresholds, resetTimeoutMs) are not read: today's
  // options replace them (config is code, the snapshot is state). Unknown keys are dropped, since the
  // snapshot is rebuilt from the parsed fields only.
  return z.object({
    status: z.literal('active'),
    value: z.enum(['closed', 'open', 'halfOpen', 'isolated']),
    context: z.object({
      strategyState,
      openedAt: epochMs.optional(),
      probesInFlight: count,
      lastProbeAt: epochMs.optional(),
      halfOpenSuccesses: count,
    }),
    // The breaker machine has no history states and no children: anything there is not ours.
    historyValue: z.object({}).strict().optional(),
    children: z.object({}).strict().optional(),
  });
}

let snapshotSchema: ReturnType<typeof buildSnapshotSchema> | undefined;

type ParsedSnapshot = z.infer<ReturnType<typeof buildSnapshotSchema>>;

/** What each field must be: the tail of "<field> must be ...", keyed by the field's own name. */
const FIELD_RULES: Record<string, string> = {
  snapshot: 'must be an object from getPersistedSnapshot()',
  status: "must be 'active' (a stopped or failed breaker's snapshot cannot resume)",
  value: "must be 'closed', 'open', 'halfOpen' or 'isolated'",
  context: 'must be an object holding the breaker state',
  strategyState:
    "must be { kind: 'consecutive', failures }, { kind: 'count', history } or { kind: 'sampling', buckets }",
  kind: "must be 'consecutive', 'count' or 'sampling'",
  failures: 'must be an integer >= 0',
  successes: 'must be an integer >= 0',
  probesInFlight: 'must be an integer >= 0',
  halfOpenSuccesses: 'must be an integer >= 0',
  history: "must be a string of 'S' (success) and 'F' (failure), oldest first",
  buckets: `must be at most ${SAMPLING_BUCKETS} buckets { start, successes, failures }, oldest first, each start later than the one before`,
  start: 'must be epoch ms: a finite number >= 0',
  openedAt: 'must be epoch ms: a finite number >= 0',
  lastProbeAt: 'must be epoch ms: a finite number >= 0',
  historyValue: 'must be an empty object (the breaker has no history states)',
  children: 'must be an empty object (the breaker has no child actors)',
};

const WHAT_TO_DO =
  "Pass the result of getPersistedSnapshot() unchanged (JSON round trips are fine), or leave 'snapshot' out to start closed.";

/**
 * Checks a persisted breaker snapshot field by field before it is resumed, and lets today's
 * settings replace the saved ones ({@link resumeBreakerSnapshot}). A snapshot with a wrong type,
 * NaN, a negative count, an unknown state or a timestamp from the future would otherwise restore
 * silently and misbehave: never open, throw from `admit()`, or refuse calls for days.
 *
 * @throws ConfigurationError naming the breaker, the field, what it must be and what to do.
 */
export function parseBreakerSnapshot(
  snapshot: unknown,
  config: CircuitBreakerConfig,
  where: BreakerRestoreContext,
): Snapshot<unknown> {
  snapshotSchema ??= buildSnapshotSchema();
  const parsed = snapshotSchema.safeParse(snapshot);
  if (!parsed.success) {
    const problems = [...new Set(parsed.error.issues.map((issue) => describeIssue(issue, snapshot)))];
    throw invalid(where, problems.join('; '), WHAT_TO_DO, parsed.error);
  }
  const { value, context } = parsed.data;
  if (value === 'open' && context.openedAt === undefined) {
    throw invalid(
      where,
      'context.openedAt is missing, and an open breaker needs it to know when to probe',
      WHAT_TO_DO,
    );
  }
  const openedAt = notInFuture(context.openedAt, 'context.openedAt', where);
  const lastProbeAt = notInFuture(context.lastProbeAt, 'context.lastProbeAt', where);
  if (context.strategyState.kind === 'sampling') {
    context.strategyState.buckets.forEach((b, i) => {
      notInFuture(b.start, `context.strategyState.buckets.${i}.start`, where);
    });
  }
  const clean = rebuild(parsed.data, openedAt, lastProbeAt);
  const resumed = resumeBreakerSnapshot(clean, config);
  if (!resumed) throw invalid(where, 'it is not an active breaker snapshot', WHAT_TO_DO);
  return resumed;
}

/**
 * A restored timestamp past the clock's now. Refused beyond the skew rather than clamped: an
 * `openedAt` days ahead means the snapshot was altered or saved under a clock that is badly wrong,
 * and neither is safe to act on quietly (clamping would hide a broken clock whose other timestamps,
 * like sampling buckets, are just as wrong). Within the skew it is clamped to now, so a restored
 * breaker never stays open longer than `resetTimeoutMs` from now.
 */
function notInFuture(
  at: number | undefined,
  field: string,
  where: BreakerRestoreContext,
): number | undefined {
  if (at === undefined || at <= where.now) return at;
  if (at - where.now <= MAX_RESTORE_CLOCK_SKEW_MS) return where.now;
  throw invalid(
    where,
    `${field} is ${at} (${isoOf(at)}), ${at - where.now} ms after this clock's now (${isoOf(where.now)}), more than the ${MAX_RESTORE_CLOCK_SKEW_MS} ms of clock skew allowed`,
    "The snapshot was altered or saved under a clock that runs ahead: check the clocks (NTP) of the host that saved it, or leave 'snapshot' out to start closed.",
  );
}

function rebuild(
  data: ParsedSnapshot,
  openedAt: number | undefined,
  lastProbeAt: number | undefined,
): Snapshot<unknown> {
  const { strategyState, probesInFlight, halfOpenSuccesses } = data.context;
  const snapshot = {
    status: 'active' as const,
    output: undefined,
    error: undefined,
    value: data.value,
    historyValue: {},
    children: {},
    context: { strategyState, openedAt, probesInFlight, lastProbeAt, halfOpenSuccesses },
  };
  return snapshot;
}

function invalid(
  where: BreakerRestoreContext,
  problem: string,
  hint: string,
  cause?: unknown,
): ConfigurationError {
  return new ConfigurationError(
    `Invalid circuit breaker option 'snapshot' of '${where.breaker}': ${problem}.`,
    {
      server: where.server,
      hint,
      cause,
    },
  );
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.map(String);
  const field = path.length ? path.join('.') : 'snapshot';
  const leaf = [...path].reverse().find((p) => !/^\d+$/.test(p)) ?? 'snapshot';
  if (issue.code === 'unrecognized_keys') {
    return `${field} ${FIELD_RULES[leaf] ?? 'has unknown keys'}, got keys ${issue.keys.join(', ')}`;
  }
  const rule = FIELD_RULES[leaf] ?? issue.message;
  return `${field} ${rule}, got ${describe(valueAt(input, issue.path))}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a value of type ${typeof value}`;
}

function isoOf(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
