import { HumanMessage } from '@langchain/core/messages';
import { Command, Option } from 'commander';
import { finalAnswer } from '../../team/MCPTeam.js';
import { loadConfig } from '../config.js';
import { EXIT } from '../exitCodes.js';
import { openTeam } from '../openTeam.js';
import {
  type CommonOptions,
  chatModelFrom,
  type ModelOptions,
  seconds,
  serverRows,
  statusTable,
  withCommonOptions,
  withModelOptions,
} from '../options.js';
import { serverProgress } from '../progress.js';
import { ELICITATION_MODES, type ElicitationMode, terminalElicitation } from '../terminalElicitation.js';

const stderr = (line: string) => process.stderr.write(`${line}\n`);

type RunOptions = CommonOptions & ModelOptions & { timeout: number; elicitation: ElicitationMode };

/** `azcore run "task"`: connect, run one agent turn, print the answer and a status table. */
export function runCommand(done: (code: number) => void): Command {
  return withModelOptions(withCommonOptions(new Command('run')))
    .description('connect to the servers, run one task through the agent team and print the answer')
    .argument('<task>', 'what to do, in words (lines "use: server__tool {json}" run tools in order offline)')
    .option('-t, --timeout <seconds>', 'budget of the whole task: every model and tool call', seconds, 120)
    .addOption(
      new Option(
        '--elicitation <mode>',
        'when a server asks the user something: ask at the terminal, decline, or auto (ask only when stdin is a terminal)',
      )
        .choices(ELICITATION_MODES)
        .default('auto'),
    )
    .addHelpText(
      'after',
      `
The model is the one --model names: offline (default), azcore's rule-based model, which picks
tools by name and description and never touches the network (an exported OPENAI_API_KEY does not
change that), or openai, ChatOpenAI with OPENAI_API_KEY (--model-name, --base-url for a compatible
server). A model failure (bad key, network, rate limit, timeout) ends the run with an error naming
the provider.
Progress goes to stderr; the answer and the status table (or --json) to stdout.
A server that asks the user something (MCP elicitation) is answered on the terminal: a form
field by field (an empty answer takes the default; for a required field it declines), a URL
after you confirm. Without a terminal (CI, pipes) it is declined at once, with a line saying so.

Examples:
  azcore run --config mcp.json "echo hello from azcore"
  azcore run --config mcp.json --json "list the allowed directories"
  OPENAI_API_KEY=sk-... azcore run --config mcp.json --model openai --model-name gpt-4o-mini "summarize notes.md"
  printf 'Ada\\n' | azcore run --config mcp.json --elicitation ask "use: fx__ask"`,
    )
    .action(async (task: string, options: RunOptions) => {
      const config = loadConfig(options.config);
      const model = chatModelFrom(options);
      const names = config.servers.map((s) => s.name);
      if (!options.json) {
        const name = options.model === 'openai' ? ` (${(model as { model?: string }).model ?? '?'})` : '';
        stderr(`model: ${options.model}${name}`);
        stderr(`connecting to ${names.length} servers from ${options.config}`);
      }
      const progress = serverProgress(names, stderr);
      let connecting = true;
      // Reads stdin only if a server asks something; closed below so the process can exit.
      const asker = terminalElicitation({ mode: options.elicitation });
      const team = await openTeam(config, {
        logLevel: options.logLevel,
        model,
        elicitation: asker.handler,
        onServerState: (server, state) => {
          if (connecting || !options.json) progress(server, state);
        },
      }).catch((e: unknown) => {
        asker.close();
        throw e;
      });
      connecting = false;
      try {
        const tools = team.getMcpToolNames().length;
        if (!options.json)
          stderr(`team ${team.state}: ${team.getMcpServerCount()}/${names.length} servers, ${tools} tools`);
        let answer = '';
        const steps: { tool: string; server: string | undefined; ok: boolean; durationMs: number }[] = [];
        for await (const step of team.stream(
          { messages: [new HumanMessage(task)] },
          { timeoutMs: options.timeout * 1000 },
        )) {
          if (step.type === 'tool') {
            const ok = step.message.status !== 'error';
            steps.push({ tool: step.tool, server: step.server, ok, durationMs: Math.round(step.durationMs) });
            if (!options.json)
              stderr(`  → ${step.tool}: ${ok ? 'ok' : 'FAILED'} in ${Math.round(step.durationMs)} ms`);
          }
          if (step.type === 'final') answer = finalAnswer(step.messages);
        }
        const servers = serverRows(team, new Map(config.servers.map((s) => [s.name, s.optional])));
        if (options.json) console.log(JSON.stringify({ answer, steps, servers }, null, 2));
        else console.log(`${answer}\n\n${statusTable(servers)}`);
        done(EXIT.ok);
      } finally {
        asker.close();
        await team.cleanup();
      }
    });
}
