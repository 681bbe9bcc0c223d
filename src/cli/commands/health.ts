import { Command } from 'commander';
import { HealthChecker } from '../../observe/HealthChecker.js';
import { loadConfig } from '../config.js';
import { EXIT } from '../exitCodes.js';
import { openTeam } from '../openTeam.js';
import { type CommonOptions, seconds, serverRows, statusTable, withCommonOptions } from '../options.js';
import { formatTable } from '../table.js';

const CODES = { healthy: EXIT.ok, degraded: EXIT.degraded, unhealthy: EXIT.unhealthy } as const;

/** `azcore health`: connect once, check, report, exit 0/1/2. */
export function healthCommand(done: (code: number) => void): Command {
  return withCommonOptions(new Command('health'))
    .description(
      'connect to every server once, check the team and exit 0 (healthy), 1 (degraded) or 2 (unhealthy)',
    )
    .option(
      '-t, --timeout <seconds>',
      'connect budget of each server whose config sets no connectTimeoutMs',
      seconds,
      10,
    )
    .addHelpText(
      'after',
      `
Checks: "servers" fails when a required server is unavailable and warns when an optional one is
("optional": true in the config); "tools" fails when no tool is offered.

Exit codes: 0 healthy, 1 degraded, 2 unhealthy, 64 bad command line, 78 bad config.

Examples:
  azcore health --config mcp.json
  azcore health --config mcp.json --json || echo "unhealthy: $?"`,
    )
    .action(async (options: CommonOptions & { timeout: number }) => {
      const config = loadConfig(options.config);
      const team = await openTeam(config, {
        allOptional: true,
        connectTimeoutMs: Math.round(options.timeout * 1000),
        logLevel: options.logLevel,
      });
      const optional = new Map(config.servers.map((s) => [s.name, s.optional]));
      const checker = new HealthChecker({
        name: team.name,
        getMcpToolNames: () => team.getMcpToolNames(),
        getServerStates: () => serverRows(team, optional),
      });
      try {
        const report = await checker.checkHealth();
        const servers = serverRows(team, optional);
        if (options.json) {
          console.log(JSON.stringify({ ...report, servers }, null, 2));
        } else {
          console.log(statusTable(servers));
          console.log('');
          console.log(
            formatTable(
              ['CHECK', 'RESULT', 'DETAIL'],
              Object.entries(report.checks).map(([name, c]) => [name, c.status, c.detail]),
              200,
            ),
          );
          console.log(`\n${report.status}`);
        }
        done(CODES[report.status]);
      } finally {
        checker.stop();
        await team.cleanup();
      }
    });
}
