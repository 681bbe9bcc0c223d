import { type Observable, Subject } from 'rxjs';
import type { TransportFactory } from '../actors/McpSession.js';
import type { ServerConfig } from '../config/serverConfig.js';
import { seededRandom } from '../resilience/backoff.js';
import { createTransport, type TransportHandle } from '../transports/createTransport.js';
import {
  FaultInjectingTransport,
  type FaultInjectionOptions,
  type InjectedFault,
} from '../transports/FaultInjectingTransport.js';

/** A fault injected on one connection of a {@link faultyTransports} factory. */
export interface ConnectionFault extends InjectedFault {
  server: string;
  /** 1 for the first connection, 2 after the first reconnect... */
  connection: number;
}

/** Faults for every connection, or per connection (return undefined for a clean one). */
export type FaultPlan =
  | FaultInjectionOptions
  | ((connection: number, config: ServerConfig) => FaultInjectionOptions | undefined);

/** A `transportFactory` that wraps each new transport in a {@link FaultInjectingTransport}. */
export interface FaultyTransportFactory extends TransportFactory {
  /** Every fault injected on any of its connections. */
  readonly faults$: Observable<ConnectionFault>;
}

/**
 * A `transportFactory` for `ServerConnection` that wraps the real transport of each connect
 * attempt in a {@link FaultInjectingTransport}. With fixed options, one seeded RNG is shared by all
 * connections, so a whole run (reconnects included) replays exactly.
 *
 * @example
 * // The first connection crashes on its 5th message; the reconnect is clean.
 * const transports = faultyTransports((n) => (n === 1 ? { crashAfterMessages: 4 } : undefined));
 * const files = new ServerConnection({ config, transportFactory: transports, retry: { idempotent: true } });
 * transports.faults$.subscribe((f) => console.log(`connection ${f.connection}: ${f.kind}`));
 */
export function faultyTransports(
  plan: FaultPlan,
  base: (config: ServerConfig) => TransportHandle = (config) => createTransport(config),
): FaultyTransportFactory {
  const faults = new Subject<ConnectionFault>();
  const shared =
    typeof plan === 'function' || plan.random ? undefined : { ...plan, random: seededRandom(plan.seed ?? 1) };
  let connections = 0;
  const factory = (config: ServerConfig): TransportHandle => {
    const connection = ++connections;
    const handle = base(config);
    const options = typeof plan === 'function' ? plan(connection, config) : shared;
    if (!options) return handle;
    const faulty = new FaultInjectingTransport(handle.transport, options);
    faulty.faults$.subscribe((f) => faults.next({ ...f, server: config.name, connection }));
    return {
      transport: faulty,
      get pid() {
        return handle.pid;
      },
      close: async () => {
        await faulty.close();
        await handle.close();
      },
    };
  };
  return Object.assign(factory, { faults$: faults.asObservable() });
}
