// Run by quietLibrary.test.ts in a child process (node --import tsx): a connection and a team
// used as a library, without a logger, through failures that the runtime logs at warn/info.
import { HumanMessage } from '@langchain/core/messages';
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
await team.invoke({ messages: [new HumanMessage('echo hello')] });
await team.cleanup();
