// azcore/langchain: MCP tools as LangChain StructuredTools for your own agent (LangGraph, AgentExecutor).
// A team gives the same tools with team.getTools(). Explicit named exports only (DESIGN rule 7).
// LangChain by nature: importing it needs @langchain/core (an optional peer of azcore, which the root
// and azcore/connection do not load): `npm install @langchain/core`.
export { type ConnectionToolsOptions, connectionTools } from '../team/connectionTools.js';
export {
  type CreateMcpToolOptions,
  createMcpTool,
  isMcpToolArtifact,
  McpStructuredTool,
  type McpToolArtifact,
  type McpToolServer,
} from '../team/createMcpTool.js';
export { formatToolResult, type ToolResultContent, toolResultContent } from '../team/formatToolResult.js';
export { McpToolSet } from '../team/McpToolSet.js';
export {
  MCP_TOOL_NAME_RULE,
  OPENAI_TOOL_NAME_RULE,
  qualifiedToolName,
  type ToolNameRule,
} from '../team/toolNames.js';
export { validateArguments } from '../team/validateArguments.js';
