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
export { CallSeries } from './callSeries.js';
export {
  type DashboardHealthSource,
  DashboardModel,
  type DashboardModelOptions,
  type DashboardTeam,
  dashboardDiagrams,
} from './DashboardModel.js';
export { type DashboardOptions, type DashboardServer, serveDashboard } from './serveDashboard.js';
export { type StateDiagramOptions, toMermaidStateDiagram } from './stateDiagram.js';
export type {
  CallSample,
  DashboardDiagrams,
  DashboardMessage,
  DashboardSnapshot,
  HealthView,
  ServerStats,
  ServerView,
} from './types.js';
