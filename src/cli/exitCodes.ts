/** Exit codes of the `azcore` CLI. `health` uses 0/1/2 so scripts and probes can branch on them. */
export const EXIT = {
  ok: 0,
  /** `health`: some optional server is unavailable. Other commands: the command failed. */
  degraded: 1,
  failed: 1,
  /** `health`: a required server is unavailable or no tool is offered. */
  unhealthy: 2,
  /** Bad command line (unknown option, missing argument). */
  usage: 64,
  /** The config file is missing, not JSON, or invalid. */
  config: 78,
} as const;

/** An error the CLI reports as one readable message and an exit code, without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
