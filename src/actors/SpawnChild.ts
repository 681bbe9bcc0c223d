import type { ActorRefFrom, AnyActorLogic, InputFrom } from 'xstate';

/**
 * How an owner (a team) takes a runtime's actor in as its child: it spawns `logic` under `id`
 * (also the system id) and returns the running child. Children share the parent's clock and
 * inspector, and are stopped with it.
 */
export type SpawnChild = <TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: { id: string; input: InputFrom<TLogic> },
) => ActorRefFrom<TLogic>;
