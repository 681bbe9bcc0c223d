// The embedded offline chat models and the model factory. Named exports only (DESIGN rule 7).
export { argsFromSchema } from './argsFromSchema.js';
export { type BoundToolInfo, type JsonSchema, toBoundTool, toBoundTools } from './boundTools.js';
export {
  type ChatModelProvider,
  type CreateChatModelOptions,
  createChatModel,
  type ToolCallingChatModel,
} from './createChatModel.js';
export {
  boundToolsOf,
  type ModelCall,
  OfflineChatModel,
  type OfflineChatModelCallOptions,
} from './OfflineChatModel.js';
export { type PlanProblem, type PlanStep, parseTaskPlan, type TaskPlan } from './planLines.js';
export { RuleBasedChatModel, type RuleBasedChatModelOptions } from './RuleBasedChatModel.js';
export {
  ScriptedChatModel,
  type ScriptedChatModelOptions,
  type ScriptedReply,
  type ScriptedToolCall,
  type ScriptTurn,
  type ScriptTurnFunction,
  type WhenScriptExhausted,
} from './ScriptedChatModel.js';
export { extractTaskValues, type TaskValues } from './taskValues.js';
