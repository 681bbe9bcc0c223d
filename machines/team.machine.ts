import { type AnyActorLogic, assign, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';

/**
 * The lifecycle of an agent team, as a pure statechart. The runtime (src/team/MCPTeam.ts)
 * provides `connectAll` and `closeAll`, reports each server's availability and each run.
 *
 * Once built, the team is `active` with two independent regions: `availability` (ready when every
 * server is usable, degraded when some are not) and `activity` (idle or running invocations).
 *
 * Its children are named here, not carried in events: `SPAWN` names a declared member actor
 * (`server` or `breaker`) and the runtime provides their logic, so the machine draws and
 * path-tests without any server.
 */

/** The member actors a team adopts: a server's connection and its breaker. */
export type TeamMemberSrc = 'server' | 'breaker';

export interface TeamServerStatus {
  /** Connected and its breaker admits calls: its tools are offered to the model. */
  available: boolean;
  optional: boolean;
}

export interface TeamContext {
  team: string;
  servers: Record<string, TeamServerStatus>;
  /** Invocations in flight (a team may run several at once). */
  activeRuns: number;
  buildError: string | undefined;
}

export type TeamEvent =
  | { type: 'SERVER_STATUS'; server: string; available: boolean }
  | { type: 'RUN_STARTED' }
  | { type: 'RUN_FINISHED' }
  | { type: 'CLOSE' }
  /** Adopt a member actor (a server connection, a breaker) as a child with system id `id`. */
  | { type: 'SPAWN'; src: TeamMemberSrc; id: string; input: unknown };

export interface TeamInput {
  team: string;
  servers: Record<string, TeamServerStatus>;
}

/** Placeholder member logic: an actor that does nothing until the runtime provides the real one. */
const member = fromCallback(() => {}) as AnyActorLogic;

const allAvailable = (servers: Record<string, TeamServerStatus>): boolean =>
  Object.values(servers).every((s) => s.available);

export const teamMachine = setup({
  types: {
    context: {} as TeamContext,
    events: {} as TeamEvent,
    input: {} as TeamInput,
  },
  actors: {
    /** Connects every server; resolves with their availability or rejects with the build error. */
    connectAll: fromPromise<Record<string, TeamServerStatus>, { team: string }>(async () => {
      throw new Error('connectAll not provided');
    }),
    closeAll: fromPromise<void, { team: string }>(async () => {}),
    /** A server's connection actor (system id `server:<name>`). */
    server: member,
    /** A server's circuit breaker (system id `breaker:<name>`). */
    breaker: member,
  },
  guards: {
    allServersAvailable: ({ context }) => allAvailable(context.servers),
    lastRunFinished: ({ context }) => context.activeRuns <= 1,
  },
  actions: {
    recordBuild: assign({
      servers: ({ event }) => (event as unknown as { output: Record<string, TeamServerStatus> }).output,
    }),
    recordBuildError: assign({
      buildError: ({ event }) => String((event as unknown as { error: unknown }).error),
    }),
    recordServerStatus: assign({
      servers: ({ context, event }) => {
        if (event.type !== 'SERVER_STATUS') return context.servers;
        const current = context.servers[event.server];
        if (!current || current.available === event.available) return context.servers;
        return { ...context.servers, [event.server]: { ...current, available: event.available } };
      },
    }),
    countRunStarted: assign({ activeRuns: ({ context }) => context.activeRuns + 1 }),
    countRunFinished: assign({ activeRuns: ({ context }) => Math.max(0, context.activeRuns - 1) }),
    spawnMember: enqueueActions(({ enqueue, event }) => {
      if (event.type !== 'SPAWN') return;
      enqueue.spawnChild(event.src, { id: event.id, systemId: event.id, input: event.input });
    }),
  },
}).createMachine({
  id: 'team',
  context: ({ input }) => ({
    team: input.team,
    servers: input.servers,
    activeRuns: 0,
    buildError: undefined,
  }),
  initial: 'building',
  on: { SPAWN: { actions: 'spawnMember' } },
  states: {
    building: {
      invoke: {
        id: 'connectAll',
        src: 'connectAll',
        input: ({ context }) => ({ team: context.team }),
        onDone: { target: 'active', actions: 'recordBuild' },
        onError: { target: 'buildFailed', actions: 'recordBuildError' },
      },
      on: { CLOSE: 'closing' },
    },
    active: {
      type: 'parallel',
      on: { CLOSE: 'closing' },
      states: {
        availability: {
          initial: 'checking',
          states: {
            /** Transient: picks ready or degraded from the servers' status. */
            checking: {
              always: [{ guard: 'allServersAvailable', target: 'ready' }, { target: 'degraded' }],
            },
            ready: {
              on: { SERVER_STATUS: { target: 'checking', actions: 'recordServerStatus' } },
            },
            degraded: {
              on: { SERVER_STATUS: { target: 'checking', actions: 'recordServerStatus' } },
            },
          },
        },
        activity: {
          initial: 'idle',
          states: {
            idle: {
              on: { RUN_STARTED: { target: 'running', actions: 'countRunStarted' } },
            },
            running: {
              on: {
                RUN_STARTED: { actions: 'countRunStarted' },
                RUN_FINISHED: [
                  { guard: 'lastRunFinished', target: 'idle', actions: 'countRunFinished' },
                  { actions: 'countRunFinished' },
                ],
              },
            },
          },
        },
      },
    },
    buildFailed: {
      on: { CLOSE: 'closing' },
    },
    closing: {
      invoke: {
        id: 'closeAll',
        src: 'closeAll',
        input: ({ context }) => ({ team: context.team }),
        onDone: 'closed',
        onError: 'closed',
      },
    },
    closed: { type: 'final' },
  },
});

export type TeamMachine = typeof teamMachine;
