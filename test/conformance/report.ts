/** Shape of test-results/conformance.json, written by test/conformance/run.ts. */
export interface ConformanceReport {
  /** `@modelcontextprotocol/conformance@<version>` */
  package: string;
  /** Which Node ran the conformance CLI and which ran the client command (absent before 0.1.16). */
  node?: string | undefined;
  /** How the scenario servers (which bind all interfaces) were kept off the network. */
  network: string;
  generatedAt: string;
  /** Wall time of the whole run (absent before 0.1.16). */
  durationMs?: number | undefined;
  scenarios: ScenarioResult[];
}

/**
 * pass / fail: a scenario that must pass. expected-failure: listed as failing with a reason, and
 * it did fail. unexpected-pass: listed as failing but passed (the list is stale: CI fails).
 */
export type ScenarioStatus = 'pass' | 'fail' | 'expected-failure' | 'unexpected-pass';

export interface ScenarioResult {
  scenario: string;
  status: ScenarioStatus;
  /** Checks with status SUCCESS / FAILURE / WARNING in the scenario's checks.json. */
  passed: number;
  failed: number;
  warnings: number;
  durationMs: number;
  note?: string | undefined;
}
