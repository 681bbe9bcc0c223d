// Run by quietLibrary.test.ts in a child process (node --import tsx): a connection and a team
// used as a library, without a logger, through failures that the runtime logs at warn/info.
import { HumanMessage } from '@langchain/core/messages';
import { filter, firstValueFrom } from 'rxjs';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { createChatModel } from '../../src/llm/createChatModel.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { STDIO_SERVER_PATH } from '../fixtures/index.js';

const refused = new ServerConnection({
  config: {
    name: 'refused',
    transport: 'streamableHttp',
    url: 'http://127.0.0.1:9/mcp',
    connectTimeoutMs: 2_000,
  },
  connection: { maxRestarts: 0 },
});
await refused.start().catch(() => {});
await refused.close();

const team = await new MCPTeamBuilder('quiet')
  .withLlm(createChatModel())
  .withMcpServer(process.execPath, [STDIO_SERVER_PATH])
  .withMcpServer(process.execPath, [STDIO_SERVER_PATH, '--fault=exit-immediately'], { optional: true })
  .skipFailedServers(true)
  .build();
// build() does not wait for an optional server: wait for its first failure, so the run goes
// through it every time (it is what logs at warn when AZCORE_LOG_LEVEL asks for it).
const optional = 'stdio-server.mjs-2';
if (!team.getServerStates()[optional]?.lastError) {
  await firstValueFrom(
    team.events$.pipe(
      filter((e) => e.type === 'connection.state' && e.server === optional && e.reason !== undefined),
    ),
  );
}
await team.invoke({ messages: [new HumanMessage('echo hello')] });
await team.cleanup();
