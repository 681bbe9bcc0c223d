/**
 * Shape of test-results/hostile.json, written by test/hostile/hostile.test.ts and read by
 * scripts/reliability-report.ts ("Hostile servers"). Everything in it was measured by a case.
 */
import type { CallRecord } from '../chaos/results.js';

export interface HostileInvariants {
  /** Every call settled (result or typed error) within its deadline plus the slack. */
  settledInTime: boolean;
  /** Every rejection was an AzcoreError. */
  typedErrors: boolean;
  /** No unhandledRejection / uncaughtException while the case ran or cleaned up. */
  noUnhandled: boolean;
  /** The unrelated healthy server's call or turn finished within its own budget. */
  healthyWithinBudget: boolean;
  /** After cleanup: no child process left. */
  noChildProcess: boolean;
  /** After cleanup: no more active handles (sockets, timers, pipes...) per type than before. */
  noOpenHandles: boolean;
  /** After cleanup: no more process listeners per event than before. */
  noListenerLeak: boolean;
  /** After cleanup and a full GC: heap growth under the limit. */
  boundedHeap: boolean;
}

export interface HostileRecord {
  /** Class id (stable), and the row label. */
  id: string;
  label: string;
  order: number;
  /** pass: every invariant and expectation held; fail: a known defect (the case runs under `it.fails`). */
  status: 'pass' | 'fail';
  /** Times (ms), counts and sizes the case measured. */
  measured: Record<string, number | string>;
  invariants: HostileInvariants;
  calls: CallRecord[];
  durationMs: number;
  failure?: string;
  /** Why a class is a known failure. */
  reason?: string;
}

export interface HostileFile {
  generatedAt: string;
  node: string;
  slackMs: number;
  cases: HostileRecord[];
}
