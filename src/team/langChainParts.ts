// The team's LangChain-backed parts, in one module that MCPTeam loads with import() when a team is
// built (through loadLangChain, which turns a missing @langchain/core into a ConfigurationError).
// Nothing in the root's static graph imports this file or @langchain/core values
// (test/packaging/rootImport.test.ts): only `import type`.
export { coerceMessageLikeToMessage } from '@langchain/core/messages';
export { getCallbackManagerForConfig } from '@langchain/core/runnables';
export { agentLoop } from './agentLoop.js';
export { McpToolSet } from './McpToolSet.js';
export { ToolRegistry } from './ToolRegistry.js';
export { runTeamTurn } from './teamRun.js';
