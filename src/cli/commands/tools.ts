import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { EXIT } from '../exitCodes.js';
import { openTeam } from '../openTeam.js';
import { type CommonOptions, seconds, withCommonOptions } from '../options.js';
import { formatTable } from '../table.js';

/** `azcore tools`: every tool of every server, as the model would see them. */
export function toolsCommand(done: (code: number) => void): Command {
  return withCommonOptions(new Command('tools'))
    .description('list the tools of every server (exit 1 if a server is unavailable)')
    .option(
      '-t, --timeout <seconds>',
      'connect budget of each server whose config sets no connectTimeoutMs',
      seconds,
      10,
    )
    .addHelpText('after', '\nExample:\n  azcore tools --config mcp.json --json')
    .action(async (options: CommonOptions & { timeout: number }) => {
      const config = loadConfig(options.config);
      const team = await openTeam(config, {
        allOptional: true,
        connectTimeoutMs: Math.round(options.timeout * 1000),
        logLevel: options.logLevel,
      });
      try {
        const servers = Object.entries(team.getServerStates()).map(([name, status]) => ({
          name,
          state: status.state,
          lastError: status.lastError,
          tools: (team.getServer(name)?.cachedTools ?? []).map((t) => ({
            name: t.name,
            qualifiedName: `${name}__${t.name}`,
            description: t.description ?? '',
          })),
        }));
        const down = servers.filter((s) => s.state !== 'ready' && s.state !== 'degraded');
        if (options.json) console.log(JSON.stringify({ servers }, null, 2));
        else {
          const rows = servers.flatMap((s) =>
            s.tools.map((t) => [s.name, t.name, t.description.split('\n')[0] ?? '']),
          );
          console.log(formatTable(['SERVER', 'TOOL', 'DESCRIPTION'], rows, 70));
          console.log(
            `\n${rows.length} tools from ${servers.length - down.length} of ${servers.length} servers`,
          );
          for (const s of down) {
            console.error(
              `unavailable: ${s.name} (${s.state})${s.lastError ? `: ${s.lastError.message}` : ''}`,
            );
          }
        }
        done(down.length === 0 ? EXIT.ok : EXIT.failed);
      } finally {
        await team.cleanup();
      }
    });
}
