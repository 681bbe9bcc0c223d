// The MCP client command that @modelcontextprotocol/conformance runs: `tsx test/conformance/client.ts
// <server-url>`, with the scenario name in MCP_CONFORMANCE_SCENARIO. Every request goes through
// azcore's ServerConnection (connection actor, breaker, retry, deadlines) over Streamable HTTP, with
// the runtime's default era negotiation. Elicitations go to ServerConnection's `elicitation` option;
// the answer (accept with the schema's defaults) is this client's policy, in elicitationDefaults.ts.

import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { isAzcoreError } from '../../src/errors/AzcoreError.js';
import { createLogger } from '../../src/observe/logger.js';
import { acceptWithDefaults } from './elicitationDefaults.js';

const url = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const log = (line: string) => process.stderr.write(`[azcore-conformance] ${line}\n`);

/** Arguments for the tools the client scenarios offer. */
const ARGUMENTS: Record<string, Record<string, unknown>> = { add_numbers: { a: 5, b: 3 } };

async function main(): Promise<void> {
  if (!url) throw new Error('usage: client.ts <server-url>');
  const conn = new ServerConnection({
    config: {
      name: 'conformance',
      transport: 'streamableHttp',
      url,
      connectTimeoutMs: 15_000,
      requestTimeoutMs: 15_000,
    },
    logger: createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'warn' }),
    clientInfo: { name: 'azcore-conformance-client', version: '0.1.0' },
    elicitation: acceptWithDefaults,
  });
  // The runtime's own record of each elicitation (answered by the handler, or declined by default).
  conn.events$.subscribe((event) => {
    if (event.type === 'server.request') log(`${event.method} ${event.mode ?? ''}: ${event.outcome}`);
  });
  try {
    await conn.start();
    log(`${scenario}: connected to ${url}`);
    const tools = await conn.listTools();
    log(`tools: ${tools.map((t) => t.name).join(', ') || '(none)'}`);
    // Every scenario server offers the tools it wants called; call each once.
    for (const tool of tools) {
      const result = await conn.callTool(tool.name, ARGUMENTS[tool.name] ?? {});
      log(`${tool.name}: ${result.isError ? 'isError ' : ''}${JSON.stringify(result.content).slice(0, 200)}`);
    }
  } finally {
    await conn.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(isAzcoreError(error) ? `${error.kind} ${error.code}: ${error.message}` : String(error));
    process.exit(1);
  },
);
