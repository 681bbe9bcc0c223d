import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition, InspectionEvent } from 'xstate';

/**
 * Transition and state coverage for XState v5 machines: what a machine declares (walked from its
 * state nodes) against what a running actor took (read from `@xstate.microstep` inspection events,
 * whose `_transitions` hold the transition definitions selected for each microstep).
 *
 * Transitions are identified by strings, never by object identity: `machine.provide(...)` builds
 * new state nodes, so the definitions an actor takes are not the objects of the original machine.
 */

/** One declared transition. `index` is its position among the candidates for the same event on the
 * same node (guards are tried in that order), so two guarded branches are two transitions. */
export interface TransitionInfo {
  /** `source --event#index[guard]--> target,...`; the identity used by the coverage sets. */
  key: string;
  /** Id of the state node that declares the transition. */
  source: string;
  /** Event type, `xstate.after.<delay>.<node id>` for delays, or `always` for eventless ones. */
  event: string;
  index: number;
  guard: string | undefined;
  /** Target state node ids; empty for a targetless transition (actions only, or inert). */
  targets: string[];
}

export const ALWAYS = 'always';

/** The root and every descendant state node, in document order. */
export function stateNodes(machine: AnyStateMachine): AnyStateNode[] {
  const nodes: AnyStateNode[] = [];
  const walk = (node: AnyStateNode): void => {
    nodes.push(node);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root);
  return nodes;
}

export function allStateIds(machine: AnyStateMachine): string[] {
  return stateNodes(machine).map((node) => node.id);
}

function guardName(guard: AnyTransitionDefinition['guard']): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'inline';
  return guard.type;
}

function candidatesOf(t: AnyTransitionDefinition): readonly AnyTransitionDefinition[] {
  if (t.eventType === '') return t.source.always ?? [];
  return t.source.transitions.get(t.eventType) ?? [];
}

/** Describes a transition definition, from the machine or from an inspection event. */
export function describeTransition(t: AnyTransitionDefinition): TransitionInfo {
  const source = t.source.id;
  const event = t.eventType === '' ? ALWAYS : String(t.eventType);
  const index = candidatesOf(t).indexOf(t);
  const guard = guardName(t.guard);
  const targets = (t.target ?? []).map((node) => node.id);
  const key = `${source} --${event}#${index}${guard ? `[${guard}]` : ''}--> ${targets.join(',') || '(none)'}`;
  return { key, source, event, index, guard, targets };
}

/** Every transition the machine declares: `on`, `after`, invoke `onDone`/`onError`, `always`. */
export function allTransitions(machine: AnyStateMachine): TransitionInfo[] {
  const infos: TransitionInfo[] = [];
  for (const node of stateNodes(machine)) {
    for (const candidates of node.transitions.values()) {
      for (const t of candidates) infos.push(describeTransition(t));
    }
    for (const t of node.always ?? []) infos.push(describeTransition(t));
  }
  return infos;
}

export interface Coverage {
  /** Pass as `createActor(machine, { inspect })`; several actors may share one recorder. */
  inspect: (event: InspectionEvent) => void;
  /** Keys ({@link TransitionInfo.key}) of the transitions taken. */
  transitions: Set<string>;
  /** Ids of the state nodes that were active at some point, transient ones included. */
  states: Set<string>;
}

function activeNodes(snapshot: unknown): AnyStateNode[] {
  if (typeof snapshot !== 'object' || snapshot === null || !('_nodes' in snapshot)) return [];
  const nodes: unknown = snapshot._nodes;
  return Array.isArray(nodes) ? (nodes as AnyStateNode[]) : [];
}

/**
 * Records coverage from inspection events. With `machine`, only that machine's nodes and
 * transitions count (its children and other machines in the same system are ignored), matched by
 * machine id so a `.provide()`d copy counts for the original.
 */
export function recordCoverage(machine?: AnyStateMachine): Coverage {
  const transitions = new Set<string>();
  const states = new Set<string>();
  const ours = (node: AnyStateNode): boolean => machine === undefined || node.machine.id === machine.id;
  const inspect = (event: InspectionEvent): void => {
    if (event.type === '@xstate.microstep') {
      for (const t of event._transitions) if (ours(t.source)) transitions.add(describeTransition(t).key);
    }
    if (event.type === '@xstate.microstep' || event.type === '@xstate.snapshot') {
      for (const node of activeNodes(event.snapshot)) if (ours(node)) states.add(node.id);
    }
  };
  return { inspect, transitions, states };
}

export interface CoverageReport {
  states: { covered: number; total: number; missing: string[] };
  transitions: { covered: number; total: number; missing: string[] };
  /** Taken but not declared: a sign the helper and the machine disagree (should stay empty). */
  unknownTransitions: string[];
}

export function coverageReport(machine: AnyStateMachine, coverage: Coverage): CoverageReport {
  const stateIds = allStateIds(machine);
  const transitionKeys = allTransitions(machine).map((t) => t.key);
  const declared = new Set(transitionKeys);
  const missingStates = stateIds.filter((id) => !coverage.states.has(id));
  const missingTransitions = transitionKeys.filter((key) => !coverage.transitions.has(key));
  return {
    states: {
      covered: stateIds.length - missingStates.length,
      total: stateIds.length,
      missing: missingStates,
    },
    transitions: {
      covered: transitionKeys.length - missingTransitions.length,
      total: transitionKeys.length,
      missing: missingTransitions,
    },
    unknownTransitions: [...coverage.transitions].filter((key) => !declared.has(key)),
  };
}

export function formatCoverage(machine: AnyStateMachine, report: CoverageReport): string {
  const lines = [
    `${machine.id}: states ${report.states.covered}/${report.states.total}, transitions ${report.transitions.covered}/${report.transitions.total}`,
  ];
  for (const id of report.states.missing) lines.push(`  state not visited: ${id}`);
  for (const key of report.transitions.missing) lines.push(`  transition not taken: ${key}`);
  for (const key of report.unknownTransitions) lines.push(`  undeclared transition taken: ${key}`);
  return lines.join('\n');
}
