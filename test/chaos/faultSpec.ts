import type { ServerConnection } from '../../src/actors/ServerConnection.js';
import type { Cell } from './cell.js';
import type { TransportName } from './results.js';

/** One row of the chaos matrix: a fault, and how to provoke it on each transport. */
export interface FaultSpec {
  id: string;
  label: string;
  /** Transports the fault does not exist on, with the reason (recorded as n/a, never skipped silently). */
  notApplicable?: Partial<Record<TransportName, string>>;
  /** Why the fault does not exist against a 2026-07-28 server (recorded as n/a in the 2026 columns). */
  notIn2026?: string;
  /** Transports where the library lacks what the fault asks for: the observed behaviour is asserted. */
  gap?: Partial<Record<TransportName, string>>;
  /** Transports where the cell reveals a defect in src/: asserted correctly, run as `it.fails`. */
  knownBug?: Partial<Record<TransportName, string>>;
  /** Run on a SimulatedClock (backoff-heavy cells): reconnect delays elapse only when the cell says. */
  simulatedClock?: boolean;
  run(cell: Cell): Promise<void>;
}

/** Connect attempts seen so far (entries into `connecting`). */
export function connectAttempts(cell: Cell, conn: ServerConnection): number {
  return cell.states(conn).filter((s) => s === 'connecting').length;
}

/** Text of the first content block of a tool result. */
export function textOf(result: { content: unknown[] }): string | undefined {
  return (result.content[0] as { text?: string } | undefined)?.text;
}
