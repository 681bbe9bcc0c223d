import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type ChatModelProvider,
  openAiChatModel,
  type ToolCallingChatModel,
} from '../llm/createChatModel.js';
import { RuleBasedChatModel } from '../llm/RuleBasedChatModel.js';
import type { MCPTeam, ServerStatus } from '../team/MCPTeam.js';
import { CliError, EXIT } from './exitCodes.js';
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

/** Options of the commands that run the model. */
export interface ModelOptions {
  model: ChatModelProvider;
  modelName?: string;
  baseUrl?: string;
}

/** Adds `--model offline|openai`, `--model-name` and `--base-url` to a command. */
export function withModelOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '-m, --model <provider>',
        'the chat model: offline (embedded, nothing leaves the machine) or openai (needs OPENAI_API_KEY)',
      )
        .choices(['offline', 'openai'])
        .default('offline'),
    )
    .option('--model-name <name>', 'model of the openai provider (default OPENAI_MODEL, else gpt-4o-mini)')
    .option(
      '--base-url <url>',
      'OpenAI-compatible API of the openai provider (default OPENAI_BASE_URL, else OpenAI)',
    );
}

/**
 * The chat model the options name, built before any server starts: `--model openai` without
 * OPENAI_API_KEY fails here with a ConfigurationError naming the variable.
 */
export function chatModelFrom(
  options: ModelOptions,
  env: NodeJS.ProcessEnv = process.env,
): ToolCallingChatModel {
  if (options.model === 'offline' && (options.modelName !== undefined || options.baseUrl !== undefined)) {
    throw new CliError('--model-name and --base-url apply to --model openai only.', EXIT.usage);
  }
  // createChatModel's two branches, synchronously: the CLI loads LangChain anyway (its run command).
  if (options.model === 'offline') return new RuleBasedChatModel({ maxToolCalls: 10 });
  return openAiChatModel({
    env,
    // LangChain's default (6 retries, exponential) keeps an unreachable endpoint silent for a minute.
    maxRetries: 2,
    ...(options.modelName === undefined ? {} : { model: options.modelName }),
    ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }),
  });
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
