import type { AddressInfo } from 'node:net';
import { type Observable, Subject } from 'rxjs';
import type { ActorRefLike, InspectionEvent, Observer } from 'xstate';
import { ConfigurationError } from '../errors/ConfigurationError.js';

/** What XState's `inspect` option takes: an observer or a plain callback. */
export type InspectObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/**
 * One inspector that forwards every inspection event to each of `inspectors` (undefined ones are
 * skipped), so a team can feed the Stately inspector and your own observer at once. An inspector
 * that throws does not stop the others.
 *
 * @example
 * const builder = new MCPTeamBuilder('ops').withInspector(combineInspectors(local.inspect, (e) => count++));
 */
export function combineInspectors(
  ...inspectors: (InspectObserver | undefined)[]
): (event: InspectionEvent) => void {
  const targets = inspectors.filter((i): i is InspectObserver => i !== undefined);
  return (event) => {
    for (const target of targets) {
      try {
        if (typeof target === 'function') target(event);
        else target.next?.(event);
      } catch {
        // An inspector is an observer: its failure must never reach the actor system.
      }
    }
  };
}

/**
 * The system id of an inspected actor (`server:files`, `breaker:files`, `team:ops`), else its id.
 *
 * @example
 * inspect: (e) => e.type === '@xstate.snapshot' && console.log(systemIdOf(e.actorRef))
 */
export function systemIdOf(actorRef: ActorRefLike): string {
  const { systemId, id } = actorRef as { systemId?: unknown; id?: unknown };
  if (typeof systemId === 'string') return systemId;
  return typeof id === 'string' ? id : actorRef.sessionId;
}

/** A state an inspected actor entered: the top-level state name of a new snapshot. */
export interface ActorStateChange {
  /** System id (`server:files`) or id of the actor. */
  actor: string;
  /** Top-level state name (`{ connecting: 'negotiatingEra' }` gives `connecting`; a connection's `connected`, whose health is in `value`). */
  state: string;
  /** The full state value. */
  value: unknown;
}

/**
 * An inspector that turns inspection events into RxJS streams: `events$` has every event,
 * `states$` each change of an actor's top-level state (snapshots that keep the state are dropped).
 *
 * @example
 * const inspection = createInspectionStream();
 * inspection.states$.subscribe(({ actor, state }) => console.log(`${actor}: ${state}`));
 * const team = await builder.withInspector(inspection.inspect).build(); // server:files: connecting ...
 */
export function createInspectionStream(): {
  inspect: (event: InspectionEvent) => void;
  events$: Observable<InspectionEvent>;
  states$: Observable<ActorStateChange>;
  complete: () => void;
} {
  const events = new Subject<InspectionEvent>();
  const states = new Subject<ActorStateChange>();
  const last = new Map<string, string>();
  return {
    inspect: (event) => {
      events.next(event);
      if (event.type !== '@xstate.snapshot') return;
      const value = (event.snapshot as { value?: unknown }).value;
      if (value === undefined) return;
      const state = typeof value === 'string' ? value : (Object.keys(value as object)[0] ?? '');
      const actor = systemIdOf(event.actorRef);
      if (last.get(actor) === state) return;
      last.set(actor, state);
      states.next({ actor, state, value });
    },
    events$: events.asObservable(),
    states$: states.asObservable(),
    complete: () => {
      events.complete();
      states.complete();
    },
  };
}

/** A WebSocket relay for `@statelyai/inspect` on this machine. */
export interface InspectorServer {
  /** `ws://127.0.0.1:PORT`: give it to `createWebSocketInspector({ url })` and to the viewer. */
  readonly url: string;
  readonly port: number;
  /** Resolves once a client is connected (at once if one is). */
  connected(): Promise<void>;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Starts a WebSocket relay for inspection events on 127.0.0.1: what one client (the app's
 * WebSocket inspector) sends, every other client (a viewer, a receiver) gets, recent messages
 * replayed to late joiners. The protocol of `@statelyai/inspect/server`, whose own server binds
 * every interface and opens a browser; this one binds loopback only and opens nothing.
 *
 * @example
 * const relay = await startInspectorServer({ port: 8080 });
 * const inspector = createWebSocketInspector({ url: relay.url }); // from @statelyai/inspect
 */
export async function startInspectorServer(
  options: { port?: number; host?: string; replay?: number } = {},
): Promise<InspectorServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw new ConfigurationError(
      `startInspectorServer: host "${host}" is not a loopback address; inspection events carry actor context, so the relay binds 127.0.0.1 only.`,
    );
  }
  const replay = options.replay ?? 200;
  // ws and @statelyai/inspect load when a relay or inspector starts, not with the module: the
  // inspection stream and combineInspectors need neither (the CLI uses them on every run).
  const { WebSocket, WebSocketServer } = await import('ws').catch(missingPeer('ws', 'startInspectorServer'));
  const wss = new WebSocketServer({ host, port: options.port ?? 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', (e) =>
      reject(
        new ConfigurationError(
          `startInspectorServer: cannot listen on ${host}:${options.port ?? 0} (${e.message}).`,
          {
            cause: e,
          },
        ),
      ),
    );
  });
  const recent: string[] = [];
  let firstClient: () => void = () => {};
  const connected = new Promise<void>((resolve) => {
    firstClient = resolve;
  });
  wss.on('connection', (socket) => {
    firstClient();
    for (const message of recent) socket.send(message);
    socket.on('message', (data) => {
      const message = data.toString();
      recent.push(message);
      if (recent.length > replay) recent.shift();
      for (const client of wss.clients) {
        if (client !== socket && client.readyState === WebSocket.OPEN) client.send(message);
      }
    });
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    connected: () => connected,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** A `@statelyai/inspect` WebSocket inspector wired to a loopback relay. */
export interface LocalInspector {
  /** Pass to `withInspector(...)`, or to a ServerConnection's `inspect` option. */
  readonly inspect: Observer<InspectionEvent>;
  /** The relay's URL, for the viewer. */
  readonly url: string;
  /** Stops the inspector and the relay it started. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The ready-made XState v5 inspector for local use: a `@statelyai/inspect` WebSocket inspector
 * that sends to a relay on 127.0.0.1 (started here unless `url` names one). Point a Stately
 * inspector viewer, or `createWebSocketReceiver({ server: url })`, at `url` to watch every actor.
 * (`@xstate/inspect` works only with XState v4.)
 *
 * @example
 * const inspector = await createLocalInspector({ port: 8080 });
 * const team = await new MCPTeamBuilder('ops').withInspector(inspector.inspect).withMcpServers(config).build();
 * console.log(`inspection events at ${inspector.url}`);
 * // ...
 * await team.cleanup();
 * await inspector.stop();
 */
export async function createLocalInspector(
  options: { url?: string; port?: number; host?: string } = {},
): Promise<LocalInspector> {
  const relay = options.url
    ? undefined
    : await startInspectorServer({
        ...(options.port !== undefined ? { port: options.port } : {}),
        ...(options.host !== undefined ? { host: options.host } : {}),
      });
  const url = options.url ?? relay!.url;
  const { createWebSocketInspector } = await import('@statelyai/inspect').catch(
    missingPeer('@statelyai/inspect', 'createLocalInspector'),
  );
  const inspector = createWebSocketInspector({ url });
  // Until its socket opens the inspector holds only the latest 200 events; a team's first ones matter.
  await relay?.connected();
  let stopped: Promise<void> | undefined;
  return {
    inspect: inspector.inspect,
    url,
    stop() {
      stopped ??= (async () => {
        inspector.stop();
        await relay?.close();
      })();
      return stopped;
    },
  };
}

/**
 * ws and @statelyai/inspect are optional peers (an app that never starts an inspector does not
 * install them): a missing one is a ConfigurationError naming it, at the first start.
 */
function missingPeer(name: 'ws' | '@statelyai/inspect', feature: string): (e: unknown) => never {
  return (e) => {
    const code = (e as { code?: unknown }).code;
    if (
      (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') ||
      !String(e).includes(`'${name}'`)
    ) {
      throw e;
    }
    throw new ConfigurationError(`${feature} needs the package '${name}', which is not installed.`, {
      cause: e,
      hint: 'Run `npm install ws @statelyai/inspect` (optional peers of azcore, for the XState inspector).',
    });
  };
}
