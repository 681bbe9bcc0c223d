/**
 * Shapes of the result files scripts/reliability-report.ts reads: the chaos matrix (written by
 * test/chaos/*.test.ts to test-results/chaos/<transport>.json) and the machine coverage (written by
 * test/machines/coverage.test.ts to test-results/coverage.json). Everything in them is measured or
 * derived from what a test observed; nothing is typed by hand.
 */

export type TransportName = 'stdio' | 'streamableHttp' | 'sse';

/**
 * The protocol era the cell's servers speak: `2025` (v1 SDK fixtures, the `initialize` handshake)
 * or `2026` (SDK v2 fixtures serving only 2026-07-28). The client negotiates (`auto`) in both.
 */
export type ChaosEra = '2025' | '2026';

/** A column of the matrix: `stdio`, `streamableHttp`, `sse` (2025) and `stdio@2026`, ... */
export function columnId(transport: TransportName, era: ChaosEra): string {
  return era === '2025' ? transport : `${transport}@${era}`;
}

/**
 * pass: every invariant and expectation held. fail: a real defect (the cell asserts the correct
 * behaviour and is marked `it.fails` until src/ is fixed). gap: the behaviour is asserted as observed,
 * but the library lacks the feature the fault asks for. n/a: the fault does not exist on that
 * transport (with the reason).
 */
export type CellStatus = 'pass' | 'fail' | 'gap' | 'n/a';

/** One call (or start()) a cell made and how it settled. */
export interface CallRecord {
  /** Tool name, or `start()`. */
  what: string;
  /** `ok`, `isError` (a tool-error result), or the error class with its code. */
  outcome: string;
  elapsedMs: number;
  /** The call's deadline, ms. */
  budgetMs: number;
}

export interface InvariantResults {
  /** Every call settled (typed error or result) within its deadline plus the slack. */
  settledInTime: boolean;
  /** Every rejection was an AzcoreError. */
  typedErrors: boolean;
  /** No unhandledRejection / uncaughtException while the cell ran or cleaned up. */
  noUnhandled: boolean;
  /** The connection actor reached the states the cell expected. */
  expectedState: boolean;
  /** After cleanup: no child process left. */
  noChildProcess: boolean;
  /** After cleanup: no more active handles (per type) than before the cell. */
  noOpenHandles: boolean;
  /** After cleanup: no more process listeners (per event) than before the cell. */
  noListenerLeak: boolean;
}

export interface CellResult {
  transport: TransportName;
  /** Absent in files written before the era dimension: 2025. */
  era?: ChaosEra | undefined;
  fault: string;
  /** Row label, and the row's position in the matrix. */
  label: string;
  order: number;
  status: CellStatus;
  /** Short outcome for the table: the final state and the error kinds seen (or the n/a reason). */
  summary: string;
  /** Connection states in order, from `idle`. */
  states: string[];
  calls: CallRecord[];
  /** Measured facts the cell reported (sizes, counts). */
  notes: string[];
  invariants: InvariantResults | undefined;
  /** Largest `elapsed - budget` over the cell's calls (negative: all settled early). */
  maxOverrunMs: number | undefined;
  durationMs: number;
  /** Assertion failure, when the cell failed. */
  failure?: string | undefined;
  /** Why a cell is n/a, a gap or a known failure. */
  reason?: string | undefined;
}

export interface ChaosFile {
  transport: TransportName;
  era?: ChaosEra | undefined;
  generatedAt: string;
  node: string;
  slackMs: number;
  cells: CellResult[];
}

/** test-results/coverage.json */
export interface CoverageFile {
  generatedAt: string;
  machines: {
    id: string;
    file: string;
    states: { covered: number; total: number };
    transitions: { covered: number; total: number };
    paths: number;
    missing: string[];
  }[];
}
