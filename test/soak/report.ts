/** Shape of test-results/soak.json, written by test/soak/soak.test.ts. */
export interface SoakReport {
  generatedAt: string;
  node: string;
  /** Measured numbers, by name. */
  measured: Record<string, number>;
  /** The same, as labelled rows for docs/reliability.md. */
  figures: [string, string][];
}
