import { type Command, InvalidArgumentError, Option } from 'commander';
import type { MCPTeam, ServerStatus } from '../team/MCPTeam.js';
import { formatTable } from './table.js';

/** Options every command takes. */
export interface CommonOptions {
  config: string;
  logLevel: string;
  json?: boolean;
}

/** Adds `--config`, `--log-level` and `--json` to a command. */
export function withCommonOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '-c, --config <file>',
        'mcpServers JSON file (Claude Desktop / Cursor / VS Code format); relative "command" and "cwd" paths are resolved against its folder',
      ).default('mcp.json'),
    )
    .addOption(
      new Option('--log-level <level>', 'runtime logs on stderr')
        .choices(['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'])
        .default(process.env.AZCORE_LOG_LEVEL ?? 'silent'),
    )
    .option('--json', 'print one JSON document on stdout instead of text');
}

/** Commander parser of a positive number of seconds. */
export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('use a positive number of seconds, e.g. 10');
  return n;
}

/** Commander parser of a TCP port (0 picks a free one). */
export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('use a port number 0-65535');
  return n;
}

/** Server status as the CLI prints it, with `optional` as the config file says. */
export function serverRows(
  team: MCPTeam,
  optional: ReadonlyMap<string, boolean>,
): Record<string, ServerStatus & { toolNames: string[] }> {
  const out: Record<string, ServerStatus & { toolNames: string[] }> = {};
  for (const [name, status] of Object.entries(team.getServerStates())) {
    const toolNames = team.getServer(name)?.cachedTools?.map((t) => t.name) ?? [];
    out[name] = { ...status, optional: optional.get(name) ?? status.optional, toolNames };
  }
  return out;
}

/** The status table: one row per server. */
export function statusTable(rows: Record<string, ServerStatus>): string {
  return formatTable(
    ['SERVER', 'STATE', 'BREAKER', 'TOOLS', 'REQUIRED', 'LAST ERROR'],
    Object.entries(rows).map(([name, s]) => [
      name,
      s.state,
      s.breaker,
      String(s.tools),
      s.optional ? 'no' : 'yes',
      s.lastError ? `${s.lastError.kind}/${s.lastError.code}: ${s.lastError.message}` : '',
    ]),
  );
}
