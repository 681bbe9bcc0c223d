// azcore/inspector: XState v5 inspection of the runtime's actors (@statelyai/inspect over a loopback
// ws relay). Loads ws and @statelyai/inspect, which is why it is not in the root. Explicit exports only.
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
