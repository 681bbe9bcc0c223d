import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { mcpServersEntries } from '../config/mcpServersJson.js';
import { parseServerConfig } from '../config/serverConfig.js';
import { isConfigurationError } from '../errors/ConfigurationError.js';
import { CliError, EXIT } from './exitCodes.js';

/** One server of a config file, ready for `MCPTeamBuilder.withMcpServers`. */
export interface ConfigEntry {
  name: string;
  /** The entry as written, with relative paths resolved. */
  entry: Record<string, unknown>;
  optional: boolean;
}

/** A loaded config file. */
export interface CliConfig {
  path: string;
  servers: ConfigEntry[];
}

const EXAMPLE =
  '{ "mcpServers": { "files": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."] } } }';

/** `./bin/server` and `../x` are relative to the config file's folder, like `cwd`; bare names are looked up on PATH. */
function resolvePaths(entry: Record<string, unknown>, base: string): Record<string, unknown> {
  const out = { ...entry };
  const command = out.command;
  if (typeof command === 'string' && /^\.\.?[\\/]/.test(command)) out.command = resolve(base, command);
  if (typeof out.cwd === 'string' && !isAbsolute(out.cwd)) out.cwd = resolve(base, out.cwd);
  return out;
}

/**
 * Reads an `mcpServers` JSON file (the format of Claude Desktop, Cursor and VS Code) and validates
 * every server, reporting every problem in words that say what to change.
 *
 * @example
 * const config = loadConfig('examples/mcp.json');
 * config.servers.map((s) => s.name); // ['everything', 'filesystem']
 */
export function loadConfig(path: string): CliConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : `it cannot be read (${code ?? String(e)})`;
    throw new CliError(
      `Cannot use the config ${path}: ${why}.\nPass --config <file> with an mcpServers JSON file, e.g.\n  ${EXAMPLE}\n(examples/mcp.json in the azcore repository runs offline.)`,
      EXIT.config,
    );
  }
  const base = dirname(file);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new CliError(
      `The config ${path} is not valid JSON (${(e as Error).message}). Check for trailing commas and unquoted keys.`,
      EXIT.config,
    );
  }
  const written =
    (root as { mcpServers?: unknown; servers?: unknown } | null)?.mcpServers ??
    (root as { servers?: unknown } | null)?.servers;
  if (typeof written !== 'object' || written === null || Array.isArray(written)) {
    throw new CliError(
      `The config ${path} needs an "mcpServers" object keyed by server name, e.g.\n  ${EXAMPLE}`,
      EXIT.config,
    );
  }
  const problems: string[] = [];
  const servers: ConfigEntry[] = [];
  for (const [name, entry] of Object.entries(written)) {
    try {
      // One entry at a time, so every broken entry is reported, not only the first.
      const [input] = mcpServersEntries({ mcpServers: { [name]: entry } });
      if (!input) continue; // "disabled": true
      parseServerConfig(resolvePaths(input, base));
      servers.push({
        name,
        entry: resolvePaths(entry as Record<string, unknown>, base),
        optional: input.optional === true,
      });
    } catch (e) {
      if (!isConfigurationError(e)) throw e;
      problems.push(`  - ${e.message}`);
    }
  }
  if (problems.length > 0)
    throw new CliError(`The config ${path} is invalid:\n${problems.join('\n')}`, EXIT.config);
  if (servers.length === 0) {
    throw new CliError(
      `The config ${path} has no enabled server: add one under "mcpServers", e.g.\n  ${EXAMPLE}`,
      EXIT.config,
    );
  }
  return { path: file, servers };
}
