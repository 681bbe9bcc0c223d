import { Command } from 'commander';
import type { serveDashboard } from '../../dashboard/serveDashboard.js';
import { loadConfig } from '../config.js';
import { EXIT } from '../exitCodes.js';
import { openTeam } from '../openTeam.js';
import { type CommonOptions, port, withCommonOptions } from '../options.js';
import { serverProgress } from '../progress.js';

const stderr = (line: string) => process.stderr.write(`${line}\n`);

/** `azcore dashboard`: connect and serve the live dashboard until Ctrl+C. */
export function dashboardCommand(done: (code: number) => void): Command {
  return withCommonOptions(new Command('dashboard'))
    .description('connect to the servers and serve a live dashboard on 127.0.0.1 until Ctrl+C')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', port, 4343)
    .option(
      '--host <address>',
      'address to bind; the page has no login (its actions answer this machine only), so non-loopback needs --allow-remote',
      '127.0.0.1',
    )
    .option('--allow-remote', 'allow a non-loopback --host (put an authenticating proxy in front)')
    .addHelpText(
      'after',
      `
The page shows one card per server (connection and breaker state on their statecharts, tools,
last error), the event log, call rate, error rate and latency charts, and the health verdict,
updated live over server-sent events the moment the runtime sees a change. It loads nothing from
the internet.

From a card you can reconnect the server, isolate or reset its breaker, and run a tool with a
form built from its input schema; each action goes through the runtime (events, breaker) like any
call. Actions are accepted from this machine only, from the page itself (Origin), carrying the
session token the page was served with (a new one each time the dashboard starts).

The Inspector panel shows any actor of the team (connections, breakers, the team) on its
statechart with its current state and recent events: the XState inspection stream, offline.

Example:
  azcore dashboard --config mcp.json --port 4343`,
    )
    .action(async (options: CommonOptions & { port: number; host: string; allowRemote?: boolean }) => {
      const config = loadConfig(options.config);
      const progress = serverProgress(
        config.servers.map((s) => s.name),
        stderr,
      );
      const team = await openTeam(config, { logLevel: options.logLevel, onServerState: progress });
      let dashboard: Awaited<ReturnType<typeof serveDashboard>>;
      try {
        // The dashboard (HTTP server, page assets, state diagrams) loads only for this command.
        const { serveDashboard } = await import('../../dashboard/serveDashboard.js');
        dashboard = await serveDashboard(team, {
          port: options.port,
          host: options.host,
          allowRemote: options.allowRemote === true,
        });
      } catch (e) {
        await team.cleanup();
        throw e;
      }
      if (options.json) console.log(JSON.stringify({ url: dashboard.url.href, team: team.name }));
      else console.log(`dashboard: ${dashboard.url.href}  (Ctrl+C to stop)`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        const stop = (received: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(received);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      stderr(`${signal}: stopping`);
      await dashboard.close();
      await team.cleanup();
      done(EXIT.ok);
    });
}
