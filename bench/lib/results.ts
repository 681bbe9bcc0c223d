import type { AllocationResult } from '../allocation.js';
import type { FailFastResult } from '../failFast.js';
import type { FleetResult } from '../fleet.js';
import type { MachineInfo } from '../machine.js';
import type { OverheadResult } from '../overhead.js';
import type { RecoveryResult } from '../recovery.js';
import type { ScaleResult } from '../scale.js';
import type { StartupResult } from '../startup.js';
import type { TeamTurnResult } from '../teamTurn.js';

/** One section's output plus how long it took and how busy the machine was around it. */
export interface SectionRecord<T> {
  result: T;
  wallMs: number;
  /** 1-minute load average before and after the section. */
  load: [number, number];
}

export interface SectionResults {
  overhead?: SectionRecord<OverheadResult>;
  failFast?: SectionRecord<FailFastResult>;
  allocation?: SectionRecord<AllocationResult>;
  recovery?: SectionRecord<RecoveryResult>;
  startup?: SectionRecord<StartupResult>;
  scale?: SectionRecord<ScaleResult>;
  fleet?: SectionRecord<FleetResult>;
  teamTurn?: SectionRecord<TeamTurnResult>;
}

/** The content of bench/results.json. */
export interface BenchResults {
  machine: MachineInfo;
  totalWallMs: number;
  sections: SectionResults;
  /** Sections that failed in this run, with the reason. */
  failures: Record<string, string>;
}
