// The MCP client command that @modelcontextprotocol/conformance runs: `tsx test/conformance/client.ts
// <server-url>`, with the scenario name in MCP_CONFORMANCE_SCENARIO. Every request goes through
// azcore's ServerConnection (connection actor, breaker, retry, deadlines) over Streamable HTTP, with
// the runtime's default era negotiation. Elicitations go to ServerConnection's `elicitation` option;
// the answer (accept with the schema's defaults) is this client's policy, in elicitationDefaults.ts.
// OAuth scenarios use the runtime's own OAuth (config `oauth`, oauthSettings.ts); the "person" who
// approves the login is this client following the authorization server's redirect.

import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { MemoryTokenStore } from '../../src/auth/MemoryTokenStore.js';
import { isAzcoreError } from '../../src/errors/AzcoreError.js';
import { createLogger } from '../../src/observe/logger.js';
import { acceptWithDefaults } from './elicitationDefaults.js';
import { assertionFor, CONFORMANCE_REDIRECT_URI, oauthSettings } from './oauthSettings.js';

const url = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const log = (line: string) => process.stderr.write(`[azcore-conformance] ${line}\n`);

/** Arguments for the tools the client scenarios offer. */
const ARGUMENTS: Record<string, Record<string, unknown>> = { add_numbers: { a: 5, b: 3 } };

async function main(): Promise<void> {
  if (!url) throw new Error('usage: client.ts <server-url>');
  const oauth = oauthSettings(scenario, process.env.MCP_CONFORMANCE_CONTEXT);
  let conn: ServerConnection | undefined;
  /** The person: opens the URL; the conformance authorization server redirects at once with a code. */
  const approve = async (authorizationUrl: URL) => {
    const answer = await fetch(authorizationUrl, { redirect: 'manual' });
    const location = answer.headers.get('location');
    if (!location) throw new Error(`the authorization server answered ${answer.status} without a redirect`);
    const back = new URL(location, authorizationUrl);
    const code = back.searchParams.get('code');
    if (!code) throw new Error(`the redirect carries no code (error=${back.searchParams.get('error')})`);
    conn?.finishAuth({
      code,
      state: back.searchParams.get('state') ?? undefined,
      iss: back.searchParams.get('iss') ?? undefined,
    });
  };
  conn = new ServerConnection({
    config: {
      name: 'conformance',
      transport: 'streamableHttp',
      url,
      connectTimeoutMs: 15_000,
      requestTimeoutMs: 15_000,
      ...(oauth ? { oauth } : {}),
    },
    logger: createLogger({ level: process.env.AZCORE_LOG_LEVEL ?? 'warn' }),
    clientInfo: { name: 'azcore-conformance-client', version: '0.1.0' },
    elicitation: acceptWithDefaults,
    auth: {
      store: new MemoryTokenStore(),
      onAuthorizationUrl: approve,
      redirectUri: CONFORMANCE_REDIRECT_URI,
      assertion: assertionFor(scenario, process.env.MCP_CONFORMANCE_CONTEXT),
    },
  });
  // The runtime's own record of each elicitation (answered by the handler, or declined by default).
  conn.events$.subscribe((event) => {
    if (event.type === 'server.request') log(`${event.method} ${event.mode ?? ''}: ${event.outcome}`);
    if (event.type === 'auth.login')
      log(`login: ${event.step}${event.error ? ` (${event.error.code})` : ''}`);
  });
  const live = conn;
  try {
    await live.start();
    log(`${scenario}: connected to ${url}`);
    const tools = await live.listTools();
    log(`tools: ${tools.map((t) => t.name).join(', ') || '(none)'}`);
    // Every scenario server offers the tools it wants called; call each once.
    for (const tool of tools) {
      const result = await callOnce(live, tool.name);
      log(`${tool.name}: ${result.isError ? 'isError ' : ''}${JSON.stringify(result.content).slice(0, 200)}`);
    }
  } finally {
    await live.close();
  }
}

/**
 * A call the server refuses for want of scope (403 insufficient_scope) ends in AUTH_REQUIRED: the
 * runtime logs in again with the scope the server asked for, and the call is made once more. One
 * step-up per call is the retry limit.
 */
async function callOnce(conn: ServerConnection, tool: string) {
  try {
    return await conn.callTool(tool, ARGUMENTS[tool] ?? {});
  } catch (e) {
    if (!isAzcoreError(e) || e.code !== 'AUTH_REQUIRED') throw e;
    log(`${tool}: step-up login`);
    await conn.login();
    return conn.callTool(tool, ARGUMENTS[tool] ?? {});
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(isAzcoreError(error) ? `${error.kind} ${error.code}: ${error.message}` : String(error));
    process.exit(1);
  },
);
