// azcore/dashboard: the Node-only observation tools (HTTP dashboard, inspector relay). Explicit exports only.
export {
  type ActorStateChange,
  combineInspectors,
  createInspectionStream,
  createLocalInspector,
  type InspectObserver,
  type InspectorServer,
  type LocalInspector,
  startInspectorServer,
  systemIdOf,
} from '../observe/inspector.js';
export { createSessionToken, TOKEN_HEADER, tokenMatches } from './actions.js';
export { CallSeries } from './callSeries.js';
export {
  type DashboardHealthSource,
  DashboardModel,
  type DashboardModelOptions,
  type DashboardServerHandle,
  type DashboardTeam,
  type DashboardTool,
  dashboardDiagrams,
} from './DashboardModel.js';
export { DashboardInspection, type InspectableActor, inspectionDiagrams } from './inspection.js';
export { type DashboardOptions, type DashboardServer, serveDashboard } from './serveDashboard.js';
export { type StateDiagramOptions, toMermaidStateDiagram } from './stateDiagram.js';
export type {
  CallSample,
  DashboardActionError,
  DashboardActionName,
  DashboardActionResult,
  DashboardDiagrams,
  DashboardMessage,
  DashboardSnapshot,
  DashboardToolInfo,
  HealthView,
  InspectedActor,
  InspectedEvent,
  InspectionMessage,
  InspectionView,
  MachineKind,
  ServerStats,
  ServerView,
} from './types.js';
