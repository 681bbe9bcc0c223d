// azcore/testing: run a team and its servers offline and deterministically. Offline, scripted and
// rule-based chat models; the error simulator; fault-injecting transports; injectable time and
// randomness (xstate's SimulatedClock drives breakers, deadlines and retries without waiting).
// LangChain by nature: importing it needs @langchain/core (an optional peer of azcore):
// `npm install @langchain/core`. Explicit named exports only (DESIGN rule 7).
export { SimulatedClock } from 'xstate';
export { type ModelCall, OfflineChatModel } from '../llm/OfflineChatModel.js';
export { RuleBasedChatModel, type RuleBasedChatModelOptions } from '../llm/RuleBasedChatModel.js';
export {
  ScriptedChatModel,
  type ScriptedChatModelOptions,
  type ScriptedReply,
  type ScriptedToolCall,
  type ScriptTurn,
  type WhenScriptExhausted,
} from '../llm/ScriptedChatModel.js';
export { type Random, seededRandom } from '../resilience/backoff.js';
export { type Clock, systemClock } from '../resilience/Clock.js';
export { sleep } from '../resilience/sleep.js';
export { ErrorSimulator, type ErrorSimulatorOptions, type ErrorSource } from '../simulate/ErrorSimulator.js';
export {
  type ConnectionFault,
  type FaultPlan,
  type FaultyTransportFactory,
  faultyTransports,
} from '../simulate/faultyTransports.js';
export {
  type FaultDirection,
  FaultInjectingTransport,
  type FaultInjectionOptions,
  type InjectedFault,
} from '../transports/FaultInjectingTransport.js';
