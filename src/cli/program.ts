import { Command, CommanderError } from 'commander';
import { isAzcoreError } from '../errors/AzcoreError.js';
import { VERSION } from '../version.js';
import { authCommand } from './commands/auth.js';
import { dashboardCommand } from './commands/dashboard.js';
import { healthCommand } from './commands/health.js';
import { runCommand } from './commands/run.js';
import { toolsCommand } from './commands/tools.js';
import { CliError, EXIT } from './exitCodes.js';

/**
 * Runs the `azcore` command line and resolves with the exit code (the caller exits). Errors are
 * printed as one message saying what to fix, never as a stack trace.
 *
 * @example
 * process.exitCode = await runCli(process.argv);
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const done = (value: number) => {
    code = value;
  };
  const program = new Command('azcore')
    .description('Resilient MCP agent teams: run a task, check health, list tools, watch a live dashboard.')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Every command reads an mcpServers JSON file (--config, default ./mcp.json), as written for
Claude Desktop, Cursor or VS Code. "optional": true marks a server the team can live without.

Examples:
  azcore run --config examples/mcp.json "echo hello"
  azcore health --config examples/mcp.json --json
  azcore tools --config examples/mcp.json
  azcore dashboard --config examples/mcp.json
  azcore auth status`,
    );
  for (const make of [runCommand, healthCommand, toolsCommand, dashboardCommand, authCommand]) {
    program.addCommand(make(done).exitOverride());
  }
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    return report(e);
  }
  return code;
}

function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // Help and version were printed already; usage errors were printed with a hint.
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0
      ? EXIT.ok
      : EXIT.usage;
  }
  if (e instanceof CliError) {
    process.stderr.write(`azcore: ${e.message}\n`);
    return e.exitCode;
  }
  if (isAzcoreError(e)) {
    process.stderr.write(`azcore: ${e.message}\n`);
    return e.kind === 'configuration' ? EXIT.config : EXIT.failed;
  }
  process.stderr.write(`azcore: ${e instanceof Error ? e.message : String(e)}\n`);
  return EXIT.failed;
}
